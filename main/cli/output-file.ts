/**
 * Writes a file at a path someone named on the command line, safely even as root in a folder
 * another user can write (/tmp, a shared scratch folder): the content goes into a new file beside
 * the target, created exclusively (O_EXCL never follows a planted symlink), which is then renamed
 * over the target. A rename replaces a symlink or hard link itself, never the file it points to,
 * and in a sticky folder it cannot replace another user's file. A reader never sees half a report.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileReplacing(path: string, chunks: Iterable<string | Buffer>, mode: number): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
  let file;
  try {
    file = await open(temporary, 'wx', mode);
  } catch (error) {
    throw new Error(`cannot write ${path}: ${(error as Error).message}`);
  }
  try {
    try {
      // FileHandle.writeFile writes all of a chunk from the current position (write() may write part).
      for (const chunk of chunks) await file.writeFile(chunk);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new Error(`cannot write ${path}: ${(error as Error).message}`);
  }
}
