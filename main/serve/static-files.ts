import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { RENDERER_CONTENT_TYPES } from './content-types';


export interface StaticFile {
  body: Buffer;
  contentType: string;
}

const inside = (root: string, path: string) => path === root || path.startsWith(root + sep);

/**
 * Reads a file of the built renderer for a URL path. Returns null for anything outside the
 * directory — `..`, encoded or not, and symbolic links that lead out of it (the file's real path
 * must lie under the directory's real path) — for directories, and for files that do not exist.
 */
export async function readStaticFile(root: string, urlPath: string): Promise<StaticFile | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const relative = decoded === '/' ? 'index.html' : normalize(decoded).replace(/^([/\\])+/, '');
  const base = resolve(root);
  const path = resolve(join(base, relative));
  if (!inside(base, path)) return null;
  try {
    const [realBase, realPath] = await Promise.all([realpath(base), realpath(path)]);
    if (!inside(realBase, realPath)) return null;
    if (!(await stat(realPath)).isFile()) return null;
    return { body: await readFile(realPath), contentType: RENDERER_CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' };
  } catch {
    return null;
  }
}
