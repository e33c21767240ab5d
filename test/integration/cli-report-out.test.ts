/**
 * `idlewatch report --out FILE` run by root at a path in a folder another user controls: the
 * hostile user plants a symlink or a hard link there to a file only root may write, hoping root's
 * report overwrites it. Neither works: the report is written beside the target and renamed over
 * the planted name (main/cli/output-file.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, linkSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertThrowawayNamespace } from './lab';

const CLI = new URL('../../main/cli/idlewatch.mjs', import.meta.url).pathname;
const nobody = execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim();
const VICTIM_TEXT = 'root-only content\n';

let scratch: string;
let victim: string;

beforeAll(() => {
  assertThrowawayNamespace();
  expect(process.getuid?.()).toBe(0);
  // The folder belongs to nobody: everything in it is theirs to plant.
  scratch = mkdtempSync(join(tmpdir(), 'idlewatch-report-out-'));
  chownSync(scratch, Number(nobody), Number(nobody));
  victim = join(mkdtempSync(join(tmpdir(), 'idlewatch-victim-')), 'shadow');
  writeFileSync(victim, VICTIM_TEXT, { mode: 0o600 });
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(join(victim, '..'), { recursive: true, force: true });
});

/** nobody runs a line of node with fs and the two paths. */
function asNobody(code: string, target: string): void {
  const run = spawnSync('setpriv', ['--reuid', nobody, '--regid', nobody, '--clear-groups', '--', process.execPath, '-e', code, target, victim], {
    encoding: 'utf8',
    cwd: '/',
  });
  expect(run.status, run.stderr).toBe(0);
}

function reportAsRoot(out: string) {
  return spawnSync(process.execPath, [CLI, 'report', '--format', 'csv', '--out', out], { encoding: 'utf8', timeout: 60_000 });
}

describe('report --out as root in a folder a hostile user controls', () => {
  it('a planted symlink is replaced by the report; the file it pointed to is untouched', () => {
    const out = join(scratch, 'report.csv');
    asNobody("require('node:fs').symlinkSync(process.argv[2], process.argv[1])", out);
    expect(lstatSync(out).isSymbolicLink()).toBe(true);
    const run = reportAsRoot(out);
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe(VICTIM_TEXT);
    expect(lstatSync(out).isFile()).toBe(true);
    expect(readFileSync(out, 'utf8')).toMatch(/^state,/i);
  });

  it('a hard link to a root-only file is replaced too, the file keeps its content', () => {
    const out = join(scratch, 'linked.csv');
    // protected_hardlinks stops nobody linking a file it cannot write; root plants it for the
    // case where that sysctl is off (it is a per-host setting an administrator may change).
    linkSync(victim, out);
    chownSync(scratch, Number(nobody), Number(nobody));
    const run = reportAsRoot(out);
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe(VICTIM_TEXT);
    expect(lstatSync(victim).nlink).toBe(1);
    expect(readFileSync(out, 'utf8')).toMatch(/^state,/i);
  });

  it('a folder root cannot write into: a clear error, and nothing left behind', () => {
    const run = reportAsRoot(join(scratch, 'missing-folder', 'report.csv'));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/idlewatch: cannot write .*missing-folder\/report\.csv: ENOENT/);
  });
});
