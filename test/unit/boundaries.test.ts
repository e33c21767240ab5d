import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The layer rules of DESIGN.md / STYLE.md point 7, checked on every source file. */
const root = new URL('../..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return /\.(ts|mts|js|mjs|svelte)$/.test(name) ? [path] : [];
  });
}

const all = ['shared', 'main', 'renderer'].flatMap(sources);
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const imports = (text: string) => [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);

describe('layer boundaries', () => {
  it('finds the sources it checks', () => {
    expect(all.filter((f) => f.startsWith('shared/')).length).toBeGreaterThan(3);
    expect(all.filter((f) => f.startsWith('main/')).length).toBeGreaterThan(5);
  });

  it('shared/ imports neither electron nor node: modules', () => {
    const offenders = all
      .filter((f) => f.startsWith('shared/'))
      .filter((f) => imports(read(f)).some((m) => m === 'electron' || m.startsWith('node:') || /^(fs|path|os|child_process)$/.test(m)));
    expect(offenders).toEqual([]);
  });

  it('only main/electron/ imports electron', () => {
    const offenders = all.filter((f) => !f.startsWith('main/electron/') && imports(read(f)).some((m) => m === 'electron' || m.startsWith('electron/')));
    expect(offenders).toEqual([]);
  });

  it('renderer/ does not import main/', () => {
    const offenders = all.filter((f) => f.startsWith('renderer/') && imports(read(f)).some((m) => /(^|\/)main\//.test(m)));
    expect(offenders).toEqual([]);
  });

  it('nothing outside main/platform/ reads process.platform', () => {
    const offenders = all.filter((f) => !f.startsWith('main/platform/') && /process\.platform/.test(read(f)));
    expect(offenders.map((f) => relative('.', f))).toEqual([]);
  });

  it('the checks see a violation when there is one', () => {
    expect(imports("import { app } from 'electron';\nconst x = await import('node:fs');")).toEqual(['electron', 'node:fs']);
  });
});
