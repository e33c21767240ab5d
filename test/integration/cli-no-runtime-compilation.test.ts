/**
 * `idlewatch` runs as root, so it must run only code from this checkout's build: nothing compiled
 * at run time into a cache another user can write (issue 6 §1). The CLI used to compile its
 * TypeScript through tsx, which caches modules in $TMPDIR/tsx-<uid> whatever owns that directory:
 * an unprivileged user who created $TMPDIR/tsx-0 first could edit a cached module after root's
 * first run and have the next run execute it as root.
 *
 * IDLEWATCH_CLI_UNDER_TEST names another launcher to check these tests against (for instance the
 * old tsx launcher, to see them fail); by default they run main/cli/idlewatch.mjs.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = process.env.IDLEWATCH_CLI_UNDER_TEST ?? join(repo, 'main/cli/idlewatch.mjs');
const nobody = execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim();

const cleanup: string[] = [];
afterEach(() => {
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string, mode = 0o700): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  chmodSync(dir, mode);
  cleanup.push(dir);
  return dir;
}

/** The environment of a root shell whose TMPDIR is `tmp`, with tsx's cache left on as by default. */
function envWithTmp(tmp: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
  delete env.TSX_DISABLE_CACHE;
  return env;
}

function snapshotJson(tmp: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cli, 'snapshot', '--json'], { cwd: repo, env: envWithTmp(tmp), encoding: 'utf8', timeout: 30_000, maxBuffer: 256 << 20 });
}

function expectSnapshotDocument(run: SpawnSyncReturns<string>): void {
  expect(run.status, run.stderr).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ schema: expect.stringMatching(/^idlewatch\.snapshot\//) });
}

interface CacheEntry {
  name: string;
  json: string;
}

/** A complete tsx cache entry: JSON with the compiled code. */
function isCacheEntry(json: string): boolean {
  try {
    return typeof (JSON.parse(json) as { code?: unknown }).code === 'string';
  } catch {
    return false;
  }
}

/**
 * tsx's cache entries for the CLI's current sources (main/cli/main.ts and everything it imports),
 * made by compiling them once into a private TMPDIR. tsx keys an entry by the source text and
 * path, not by who compiled it, so these are the names a tsx run as root would look up.
 */
function tsxCacheOfTheCliSources(): CacheEntry[] {
  const scratch = tempDir('idlewatch-tsx-recipe-');
  const compile = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `await import(${JSON.stringify(join(repo, 'main/cli/main.ts'))})`], {
    cwd: repo,
    env: envWithTmp(scratch),
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(compile.status, compile.stderr).toBe(0);
  const dir = join(scratch, `tsx-${process.getuid!()}`);
  // tsx writes its cache as the process exits: a file it had not finished is not an entry.
  const entries = readdirSync(dir)
    .map((name) => ({ name, json: readFileSync(join(dir, name), 'utf8') }))
    .filter((entry) => isCacheEntry(entry.json));
  expect(entries.length).toBeGreaterThan(5);
  return entries;
}

/**
 * Runs `script` as the unprivileged user nobody: node with `input` (JSON) on stdin. The script
 * gets `fs`, `path`, and `input`; whatever it does, it does with nobody's rights only.
 */
function asNobody(script: string, input: unknown): void {
  const code = `const fs = require('node:fs'); const path = require('node:path'); const input = JSON.parse(fs.readFileSync(0, 'utf8'));\n${script}`;
  const run = spawnSync('setpriv', ['--reuid', nobody, '--regid', nobody, '--clear-groups', '--', process.execPath, '-e', code], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    cwd: '/',
    timeout: 30_000,
  });
  expect(run.status, run.stderr).toBe(0);
}

/**
 * What nobody does to a shared temp directory: every module tsx could find in its cache gets
 * code prepended that writes `marker` (which only root can write), whether nobody planted the
 * entry before root ran or replaced an entry root's run left there (nobody owns the directory,
 * so it may unlink root's files).
 */
const POISON = `
function poison(file, marker) {
  const entry = JSON.parse(fs.readFileSync(file, 'utf8'));
  entry.code = 'process.getBuiltinModule("node:fs").writeFileSync(' + JSON.stringify(marker) + ', "uid " + process.getuid());\\n' + entry.code;
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, JSON.stringify(entry));
}`;

/** nobody prepares `tmp` before root's first run: tsx's cache directories, already poisoned. */
function plantHostileCache(tmp: string, entries: CacheEntry[], marker: string): void {
  asNobody(
    `${POISON}
    // tsx-0 is root's cache directory; tsx is the older one, which tsx deletes when it starts;
    // node-compile-cache is where newer Node versions keep compiled code when asked to.
    for (const name of ['tsx-0', 'tsx', 'node-compile-cache']) fs.mkdirSync(path.join(input.tmp, name), { mode: 0o755 });
    for (const entry of input.entries) {
      for (const dir of ['tsx-0', 'tsx']) {
        const file = path.join(input.tmp, dir, entry.name);
        fs.writeFileSync(file, entry.json);
        poison(file, input.marker);
      }
    }`,
    { tmp, entries, marker },
  );
}

/** nobody, after root's first run, poisons whatever root's run cached in the directory nobody owns. */
function poisonWhatRootCached(tmp: string, marker: string): void {
  asNobody(
    `${POISON}
    const dir = path.join(input.tmp, 'tsx-0');
    for (const name of fs.readdirSync(dir)) {
      const file = path.join(dir, name);
      if (fs.statSync(file).uid !== 0) continue;
      try {
        poison(file, input.marker);
      } catch {
        // not a complete cache entry: nothing tsx would load
      }
    }`,
    { tmp, marker },
  );
}

/** A shared temp directory like /tmp (world-writable, sticky) and a place only root can write. */
function sharedTmpAndMarker(): { tmp: string; marker: string } {
  const tmp = tempDir('idlewatch-shared-tmp-', 0o1777);
  return { tmp, marker: join(tempDir('idlewatch-marker-'), 'ran-as-root') };
}

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('these tests play root against the user nobody: run them as root (npm test does).');
  if (!process.env.IDLEWATCH_CLI_UNDER_TEST && !existsSync(join(repo, 'out/cli/cli.mjs'))) {
    throw new Error('out/cli/cli.mjs is missing: run `npm run build` first (npm test does).');
  }
});

describe('idlewatch runs no code another user can plant in $TMPDIR', () => {
  it('a tsx cache prepared by nobody in a shared TMPDIR, before and after root’s first run, is never executed', () => {
    const entries = tsxCacheOfTheCliSources();
    const { tmp, marker } = sharedTmpAndMarker();
    plantHostileCache(tmp, entries, marker);

    expectSnapshotDocument(snapshotJson(tmp)); // root's first run
    poisonWhatRootCached(tmp, marker);
    expectSnapshotDocument(snapshotJson(tmp)); // and the next one

    expect(existsSync(marker) ? readFileSync(marker, 'utf8') : 'no marker').toBe('no marker');
  });

  it('the planted cache is live: compiling the CLI sources through tsx at run time, as the old launcher did, runs it as root', () => {
    // Without this control the test above could pass only because tsx changed how it names its
    // cache entries, and no longer because the CLI never looks there.
    const entries = tsxCacheOfTheCliSources();
    const { tmp, marker } = sharedTmpAndMarker();
    plantHostileCache(tmp, entries, marker);
    const oldLauncher = `
      const { register } = await import('tsx/esm/api');
      register();
      const { main } = await import(${JSON.stringify(join(repo, 'main/cli/main.ts'))});
      process.exitCode = await main(['snapshot', '--json']);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', oldLauncher], { cwd: repo, env: envWithTmp(tmp), encoding: 'utf8', timeout: 30_000, maxBuffer: 256 << 20 });
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('uid 0');
  });

  it('opens, creates and executes nothing under $TMPDIR', () => {
    const tmp = tempDir('idlewatch-fresh-tmp-');
    const trace = join(tempDir('idlewatch-strace-'), 'trace');
    const calls = 'openat,openat2,open,creat,mkdir,mkdirat,execve,rename,renameat,renameat2,unlink,unlinkat,symlink,symlinkat';
    const run = spawnSync('strace', ['-f', '-qq', '-s', '4096', '-e', `trace=${calls}`, '-o', trace, process.execPath, cli, 'snapshot', '--json'], {
      cwd: repo,
      env: envWithTmp(tmp),
      encoding: 'utf8',
      timeout: 30_000,
      maxBuffer: 256 << 20,
    });
    expectSnapshotDocument(run);
    const lines = readFileSync(trace, 'utf8').split('\n');
    expect(lines.filter((l) => l.includes(tmp)).slice(0, 10)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
    // The trace did see the files the CLI opened and followed it into the helper it runs.
    expect(lines.some((l) => /open.*\/main\/cli\//.test(l))).toBe(true);
    expect(lines.some((l) => /execve\(".*\/idlewatch-sockdiag"/.test(l))).toBe(true);
  });
});

describe('idlewatch runs no helper another user can plant beside its checkout', () => {
  // Copies the built layout, so it has nothing to say about another launcher under test.
  it.skipIf(Boolean(process.env.IDLEWATCH_CLI_UNDER_TEST))('a checkout in a shared directory runs its own out/bin/idlewatch-sockdiag, not one nobody put in ../out/bin', () => {
    // A checkout (launcher, build, helper) in a directory anyone may write, as /tmp/idlewatch or
    // a shared /srv/tools/idlewatch would be. nobody cannot touch the checkout, only its parent.
    const shared = tempDir('idlewatch-shared-parent-', 0o1777);
    const checkout = join(shared, 'idlewatch');
    mkdirSync(join(checkout, 'main/cli'), { recursive: true });
    copyFileSync(join(repo, 'main/cli/idlewatch.mjs'), join(checkout, 'main/cli/idlewatch.mjs'));
    cpSync(join(repo, 'out/cli'), join(checkout, 'out/cli'), { recursive: true });
    cpSync(join(repo, 'out/bin'), join(checkout, 'out/bin'), { recursive: true });
    // No node_modules: the built CLI carries its dependencies (build/cli.config.ts), as a package ships it.
    chmodSync(checkout, 0o755);

    const marker = join(tempDir('idlewatch-marker-'), 'ran-as-root');
    asNobody(
      `for (const dir of ['out/bin', 'bin']) {
        fs.mkdirSync(path.join(input.shared, dir), { recursive: true });
        const helper = path.join(input.shared, dir, 'idlewatch-sockdiag');
        fs.writeFileSync(helper, '#!/bin/sh\\nid -u > ' + input.marker + '\\nexec ' + input.realHelper + ' "$@"\\n', { mode: 0o755 });
      }`,
      { shared, marker, realHelper: join(checkout, 'out/bin/idlewatch-sockdiag') },
    );

    const run = spawnSync(process.execPath, [join(checkout, 'main/cli/idlewatch.mjs'), 'snapshot', '--json'], { cwd: '/', encoding: 'utf8', timeout: 30_000, maxBuffer: 256 << 20 });
    expect(existsSync(marker) ? `nobody's helper ran as uid ${readFileSync(marker, 'utf8').trim()}` : 'no marker').toBe('no marker');
    expectSnapshotDocument(run);
  });
});
