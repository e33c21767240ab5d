/**
 * The helper's argv for another network namespace (issue 9): `--netns pid PID INODE` or
 * `--netns name NAME INODE`, checked here before anything runs, never with `persist`; and what
 * the app says of a change the helper made there (its `N` line). The helper's own checks of the
 * same argv are test/unit/platform/linux/keepalive-helper-args.test.ts; entering namespaces for
 * real is test/integration/namespace-apply.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  helperArgs,
  helperRootCommand,
  interpretHelperEnd,
  INSTALLED_HELPER,
  KeepaliveElevation,
  namespaceWords,
  type ChildEnd,
  type HelperNamespace,
  type HelperRequest,
} from '../../../../main/platform/linux/elevation';
import type { NamespaceEntry } from '../../../../main/platform/linux/namespaces/entry';

const VALUES = { timeSec: 600, intervalSec: 60, probes: 5 };
const BY_PID = { entry: { kind: 'pid', pid: 4242, inode: '4026532817' } as NamespaceEntry, label: 'web-1' };
const BY_NAME = { entry: { kind: 'name', name: 'blue', inode: '4026532900' } as NamespaceEntry, label: 'blue' };
const runtime = (namespace: HelperNamespace): HelperRequest => ({
  verb: 'apply',
  values: VALUES,
  persist: false,
  namespace,
});

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'idlewatch-elevation-netns-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the helper’s argv for another namespace', () => {
  it('adds --netns with the way in and the inode it must lead to', () => {
    expect(helperArgs(runtime(BY_PID))).toEqual(['apply', '600', '60', '5', 'runtime', '--netns', 'pid', '4242', '4026532817']);
    expect(helperArgs(runtime(BY_NAME))).toEqual(['apply', '600', '60', '5', 'runtime', '--netns', 'name', 'blue', '4026532900']);
    expect(helperArgs({ verb: 'undo', namespace: BY_PID })).toEqual(['undo', '--netns', 'pid', '4242', '4026532817']);
    expect(helperArgs({ verb: 'undo' })).toEqual(['undo']);
    expect(helperRootCommand(runtime(BY_NAME))).toBe(`sudo ${INSTALLED_HELPER} apply 600 60 5 runtime --netns name blue 4026532900`);
  });

  it('never persists another namespace', () => {
    expect(() => helperArgs({ verb: 'apply', values: VALUES, persist: true, namespace: BY_PID })).toThrow(/never persisted/);
  });

  it.each([
    ['a pid of 0', { kind: 'pid', pid: 0, inode: '4026532817' }],
    ['a pid above PID_MAX_LIMIT', { kind: 'pid', pid: 4_194_305, inode: '4026532817' }],
    ['a fractional pid', { kind: 'pid', pid: 42.5, inode: '4026532817' }],
    ['a pid given as text', { kind: 'pid', pid: '42; id', inode: '4026532817' }],
    ['an inode of 0', { kind: 'pid', pid: 42, inode: '0' }],
    ['an inode with a leading zero', { kind: 'pid', pid: 42, inode: '04026532817' }],
    ['an inode beyond 32 bits', { kind: 'pid', pid: 42, inode: '4294967296' }],
    ['an inode that is a number, not text', { kind: 'pid', pid: 42, inode: 4026532817 }],
    ['a name that climbs out of /run/netns', { kind: 'name', name: '../../proc/1/ns/net', inode: '4026532817' }],
    ['the name ..', { kind: 'name', name: '..', inode: '4026532817' }],
    ['a name with a space', { kind: 'name', name: 'blue green', inode: '4026532817' }],
    ['a name of 65 characters', { kind: 'name', name: 'n'.repeat(65), inode: '4026532817' }],
    ['a way in by path', { kind: 'path', path: '/proc/1/ns/net', inode: '4026532817' }],
  ])('refuses %s before anything runs', async (_, entry) => {
    const pkexec = join(dir, `pkexec-${Math.random().toString(36).slice(2)}`);
    writeFileSync(pkexec, `#!/bin/sh\ntouch "$0.ran"\n`, { mode: 0o755 });
    const installed = join(dir, 'idlewatch-keepalive');
    writeFileSync(installed, '#!/bin/sh\nexit 99\n', { mode: 0o755 });
    const request = runtime({ entry: entry as unknown as NamespaceEntry, label: 'x' });
    expect(() => helperArgs(request)).toThrow(RangeError);
    const elevation = new KeepaliveElevation({ uid: 1000, pkexecPath: pkexec, installedHelperPath: installed, builtHelperPath: join(dir, 'none') });
    expect(() => elevation.run(request)).toThrow(RangeError);
    expect(existsSync(`${pkexec}.ran`)).toBe(false);
  });

  it('reaches pkexec as argv, one word each: the same polkit action as any apply', async () => {
    const pkexec = join(dir, 'pkexec-argv');
    writeFileSync(pkexec, `#!/bin/sh\nprintf '%s\\n' "$@" > "$0.argv"\nprintf 'N\\t4026532817\\nB\\t7200\\t75\\t9\\nA\\t600\\t60\\t5\\nD\\t-\\nOK\\n'\n`, { mode: 0o755 });
    const installed = join(dir, 'idlewatch-keepalive');
    writeFileSync(installed, '#!/bin/sh\nexit 99\n', { mode: 0o755 });
    const elevation = new KeepaliveElevation({ uid: 1000, pkexecPath: pkexec, installedHelperPath: installed, builtHelperPath: join(dir, 'none') });
    const run = await elevation.run(runtime(BY_PID));
    expect(readFileSync(`${pkexec}.argv`, 'utf8').split('\n').slice(0, -1)).toEqual([installed, 'apply', '600', '60', '5', 'runtime', '--netns', 'pid', '4242', '4026532817']);
    expect(run).toMatchObject({ outcome: 'applied', output: { namespace: '4026532817' } });
  });
});

describe('what the app says of a change in another namespace', () => {
  const end = (over: Partial<ChildEnd>): ChildEnd => ({ code: 0, signal: null, spawnError: null, timedOut: false, stdout: '', stderr: '', ...over });
  const route = { via: 'direct' as const, path: '/usr/libexec/idlewatch/idlewatch-keepalive' };

  it('names the namespace the helper changed, by its id and label', () => {
    const applied = interpretHelperEnd(runtime(BY_PID), route, end({ stdout: 'N\t4026532817\nB\t7200\t75\t9\nA\t600\t60\t5\nD\t-\nOK\n' }), 'sudo idlewatch apply server --netns 4026532817');
    expect(applied).toMatchObject({ outcome: 'applied', message: 'Applied 600/60/5 (was 7200/75/9) in network namespace 4026532817 (web-1); runtime only, not persisted.' });
  });

  it('an undo the helper took to the namespace it recorded says which, by id', () => {
    const undone = interpretHelperEnd({ verb: 'undo' }, route, end({ stdout: 'N\t4026532817\nB\t600\t60\t5\nA\t7200\t75\t9\nD\t-\nOK\n' }), 'sudo idlewatch undo');
    expect(undone.message).toBe('Restored 7200/75/9 (was 600/60/5) in network namespace 4026532817.');
  });

  it('a namespace the helper could not enter is a failure with nothing changed, in its words', () => {
    const stdout = 'E\tnothing changed: cannot apply in network namespace 4026532817 (pid 4242): refusing /proc/4242/ns/net: it leads to namespace 4026531840, not to network namespace 4026532817\nFAIL\n';
    const run = interpretHelperEnd(runtime(BY_PID), route, end({ code: 1, stdout }), 'sudo idlewatch apply server --netns 4026532817');
    expect(run.outcome).toBe('rolled-back');
    expect(run.message).toMatch(/^Apply failed: nothing changed: cannot apply in network namespace 4026532817 \(pid 4242\): refusing .*Nothing was changed\.$/);
  });

  it('calls a namespace by its label only when the label says more than its id', () => {
    expect(namespaceWords('4026532817', 'web-1')).toBe('network namespace 4026532817 (web-1)');
    expect(namespaceWords('4026532817', '4026532817')).toBe('network namespace 4026532817');
    expect(namespaceWords('4026532817', null)).toBe('network namespace 4026532817');
  });
});
