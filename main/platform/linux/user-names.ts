/**
 * uid → user name through the system's user database (NSS: /etc/passwd, LDAP, SSSD, systemd
 * DynamicUser…), as the socket-table helper names socket owners with getpwuid_r. Node has no
 * getpwuid, so this asks `getent passwd UID` — run directly, no shell, the uid as digits only.
 */
import { execFile } from 'node:child_process';

const GETENT_TIMEOUT_MS = 2000;

/** The first field of a passwd line, or null when getent printed none. */
export function nameFromPasswdLine(text: string): string | null {
  const name = text.split('\n', 1)[0]!.split(':', 1)[0]!;
  return name === '' ? null : name;
}

/** Names uids, each asked once per instance; "uid N" for one the user database does not know. */
export class UserNames {
  private readonly known = new Map<number, Promise<string>>();

  name(uid: number): Promise<string> {
    if (!Number.isSafeInteger(uid) || uid < 0) return Promise.resolve(`uid ${uid}`);
    let name = this.known.get(uid);
    if (!name) {
      name = new Promise((resolve) =>
        execFile('getent', ['passwd', String(uid)], { timeout: GETENT_TIMEOUT_MS, env: { PATH: '/usr/bin:/bin' } }, (error, stdout) =>
          resolve((error ? null : nameFromPasswdLine(stdout)) ?? `uid ${uid}`),
        ),
      );
      this.known.set(uid, name);
    }
    return name;
  }
}
