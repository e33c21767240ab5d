import { describe, expect, it } from 'vitest';
import { NETNS_NAME_PATTERN, entryArgs, entryPath, isNetnsName, type NamespaceEntry } from '../../../../../main/platform/linux/namespaces/entry';

describe('namespace entries', () => {
  it('enters by pid through /proc/PID/ns/net, in the argv both helpers accept', () => {
    const entry: NamespaceEntry = { kind: 'pid', pid: 4242, inode: '4026532301' };
    expect(entryPath(entry)).toBe('/proc/4242/ns/net');
    expect(entryArgs(entry)).toEqual(['pid', '4242', '4026532301']);
  });

  it('enters by ip netns name through /run/netns/NAME', () => {
    const entry: NamespaceEntry = { kind: 'name', name: 'blue_1.test-a', inode: '4026532400' };
    expect(entryPath(entry)).toBe('/run/netns/blue_1.test-a');
    expect(entryArgs(entry)).toEqual(['name', 'blue_1.test-a', '4026532400']);
  });

  it('accepts the largest pid and inode the kernel can give', () => {
    expect(entryArgs({ kind: 'pid', pid: 4_194_304, inode: '4294967295' })).toEqual(['pid', '4194304', '4294967295']);
  });

  it.each([0, -1, 1.5, 4_194_305, Number.NaN, Number.POSITIVE_INFINITY])('refuses pid %s', (pid) => {
    expect(() => entryArgs({ kind: 'pid', pid, inode: '4026532301' })).toThrow(/pid/);
    expect(() => entryPath({ kind: 'pid', pid, inode: '4026532301' })).toThrow(/pid/);
  });

  it.each(['', '0', '01', '-1', '4294967296', '1e9', ' 42', '42\n', '0x10'])('refuses inode %j', (inode) => {
    expect(() => entryArgs({ kind: 'pid', pid: 1, inode })).toThrow(/inode/);
  });

  it.each(['', '.', '..', 'a/b', '../etc', 'a b', 'tab\there', 'x'.repeat(65), 'ünï', 'name\n'])('refuses the name %j', (name) => {
    expect(isNetnsName(name)).toBe(false);
    expect(() => entryArgs({ kind: 'name', name, inode: '4026532400' })).toThrow(/name/);
    expect(() => entryPath({ kind: 'name', name, inode: '4026532400' })).toThrow(/name/);
  });

  it('accepts ip netns names of letters, digits, _ . - up to 64 characters', () => {
    for (const name of ['a', 'x'.repeat(64), '.hidden', 'ns-1', 'A_b.C']) expect(isNetnsName(name)).toBe(true);
    expect(NETNS_NAME_PATTERN.test('..')).toBe(true); // the pattern alone allows it: isNetnsName does not
  });

  it('refuses anything that is not one of the two kinds, even cast past the types', () => {
    const bad = [null, 'pid', { kind: 'path', path: '/etc/passwd', inode: '1' }, { kind: 'pid', pid: '42', inode: '1' }, { kind: 'name', name: 7, inode: '1' }, { kind: 'pid', pid: 42, inode: 42 }];
    for (const entry of bad) expect(() => entryArgs(entry as unknown as NamespaceEntry)).toThrow(/namespace entry/);
  });
});
