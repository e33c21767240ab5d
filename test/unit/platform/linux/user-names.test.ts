import { describe, expect, it } from 'vitest';
import { nameFromPasswdLine, UserNames } from '../../../../main/platform/linux/user-names';

describe('user names through the user database', () => {
  it('names uids the way getent (NSS) does, not by reading /etc/passwd', async () => {
    const names = new UserNames();
    expect(await names.name(0)).toBe('root');
    expect(await names.name(65534)).toBe('nobody');
  });

  it('says "uid N" for a uid nobody has, and for anything that is not a uid', async () => {
    const names = new UserNames();
    expect(await names.name(3_999_999_999)).toBe('uid 3999999999');
    expect(await names.name(-1)).toBe('uid -1');
    expect(await names.name(1.5)).toBe('uid 1.5');
  });

  it('takes the name from the first field of the first line', () => {
    expect(nameFromPasswdLine('nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n')).toBe('nobody');
    expect(nameFromPasswdLine('')).toBeNull();
  });
});
