import { describe, expect, it } from 'vitest';
import {
  dropByLabel,
  hasControls,
  keepaliveLabel,
  pidProcessLabel,
  processLabel,
  ruleLabel,
  userLabel,
  visibleControls,
} from '../../../shared/labels';
import { connection } from '../../fixtures/connection';

/** Bidirectional controls that would reorder what follows them on a page or a terminal. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('names from outside are shown escaped, never reordered', () => {
  it('escapes a process named with a right-to-left override', () => {
    const c = connection({ process: '\u202eevil.exe' });
    expect(processLabel(c)).toBe('\\u202eevil.exe');
    expect(pidProcessLabel(c)).toBe('101/\\u202eevil.exe');
  });

  it.each(['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200f', '\u061c'])(
    'escapes %j in users and rule names',
    (control) => {
      expect(userLabel(connection({ user: `${control}root` }))).not.toMatch(BIDI);
      expect(dropByLabel(connection({ dropReason: 'middlebox', dropBy: `${control}NAT` }))).not.toMatch(BIDI);
      expect(ruleLabel({ name: `${control}NAT` })).not.toMatch(BIDI);
    },
  );
});

describe('labels', () => {
  it('name the owner, or its uid, or nobody', () => {
    expect(userLabel(connection())).toBe('alice');
    expect(userLabel(connection({ user: null }))).toBe('uid 1000');
    expect(userLabel(connection({ user: null, uid: null }))).toBeNull();
  });

  it('name who drops a connection: the rule, or the kernel mechanism', () => {
    expect(dropByLabel(connection())).toBe('keepalive');
    expect(dropByLabel(connection({ dropReason: 'user-timeout' }))).toBe('user timeout');
    expect(dropByLabel(connection({ dropReason: 'application', dropBy: 'nginx' }))).toBe('nginx');
    expect(dropByLabel(connection({ dropReason: null }))).toBeNull();
  });

  it('say on, off, or ? for keepalive, and nothing where it was not read and means nothing', () => {
    expect(keepaliveLabel(connection())).toBe('on');
    expect(keepaliveLabel(connection({ keepalive: false }))).toBe('off');
    expect(keepaliveLabel(connection({ keepalive: null, timer: 'keepalive' }))).toBe('on');
    expect(keepaliveLabel(connection({ keepalive: null, timer: 'retransmit' }))).toBe('?');
    expect(keepaliveLabel(connection({ keepalive: null, timer: 'none', state: 'LISTEN' }))).toBe('');
    expect(keepaliveLabel(connection({ keepalive: null, timer: 'timewait', state: 'TIME_WAIT' }))).toBe('');
    expect(keepaliveLabel(connection({ keepalive: false, state: 'LISTEN' }))).toBe('off');
  });

});

describe('visibleControls (text a person edits)', () => {
  it('shows control characters as printable() does, but leaves backslashes as typed', () => {
    expect(visibleControls('\u202eevil')).toBe('\\u202eevil');
    expect(visibleControls('\\x1b and \x1b')).toBe('\\x1b and \\x1b');
    expect(visibleControls('C:\\path')).toBe('C:\\path');
  });

  it('tells text with control characters from text without', () => {
    expect(hasControls('AWS NAT')).toBe(false);
    expect(hasControls('a\\b')).toBe(false);
    expect(hasControls('\u2066NAT')).toBe(true);
  });
});
