import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A stand-in for out/renderer in a fresh temp dir, with `secret.txt` beside it (outside). */
export function makeRendererDir(): { parent: string; dir: string } {
  const parent = mkdtempSync(join(tmpdir(), 'idlewatch-serve-'));
  const dir = join(parent, 'renderer');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Idlewatch</title>');
  writeFileSync(join(dir, 'assets/app.js'), 'console.log(1)');
  writeFileSync(join(parent, 'secret.txt'), 'outside');
  return { parent, dir };
}
