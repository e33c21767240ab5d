import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeLinuxHost, parseOsRelease } from '../../../../main/platform/linux/host';

describe('parseOsRelease', () => {
  it('takes PRETTY_NAME, unquoted', () => {
    const debian = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n';
    expect(parseOsRelease(debian)).toBe('Debian GNU/Linux 12 (bookworm)');
  });

  it('falls back to NAME and VERSION, in either quoting os-release(5) allows', () => {
    expect(parseOsRelease("NAME='Alpine Linux'\nVERSION=3.20\n")).toBe('Alpine Linux 3.20');
    expect(parseOsRelease('NAME=NixOS\n')).toBe('NixOS');
  });

  it('undoes shell escapes inside quotes and ignores comments and junk', () => {
    expect(parseOsRelease('# comment\nnot a line\nPRETTY_NAME="Say \\"hi\\" \\\\ \\$HOME"\n')).toBe('Say "hi" \\ $HOME');
  });

  it('says nothing when the file names no system', () => {
    expect(parseOsRelease('')).toBeNull();
    expect(parseOsRelease('ID=debian\n')).toBeNull();
  });
});

describe('describeLinuxHost', () => {
  it('describes this machine from node:os and its os-release, without running a command', async () => {
    const host = await describeLinuxHost();
    expect(host).toMatchObject({ os: 'linux', kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(), network: null });
    expect(host.distro).toBe(parseOsRelease(readFileSync('/etc/os-release', 'utf8')));
  });
});
