/**
 * What the elevated helper `idlewatch-keepalive` prints and records, read as data (STYLE.md
 * point 5: pure, tested on recorded text). The protocol is fixed by the helper: tab-separated
 * lines, text fields escaped the way idlewatch-sockdiag escapes a command name (`\\` and `\xHH`),
 * so a message can never hold a tab, a newline or a control character raw.
 *
 * stdout: `N` the other network namespace changed (only for one), `B` before, `A` read back
 * after, `D` drop-in (`-` none), `R` rolled back because…, `E` error, then `OK` or `FAIL`.
 * History (/var/lib/idlewatch/history): one `H` line per apply or undo, with a 14th field, the
 * namespace's inode, for another namespace than the helper's own. Exit: 0 done; 1 failed and
 * rolled back; 2 refused; 3 rollback failed too.
 */
import type { KeepaliveValues } from '../../../shared/profiles';

/** No line the helper writes comes near this; a longer one is noise and is cut. */
const MAX_MESSAGE_CHARS = 2000;

export interface HelperOutput {
  /** The other network namespace this run changed (`N`, its inode); null for the helper's own. */
  namespace: string | null;
  /** What was in force before (`B`), null if the helper did not get that far. */
  before: KeepaliveValues | null;
  /** What the helper read back from /proc/sys afterwards (`A`); null when it could not (`A - - -`). */
  after: KeepaliveValues | null;
  /** The drop-in written (`D <path>`); null for `D -` or no `D` line. */
  dropIn: string | null;
  /** What was rolled back and why (`R`), unescaped: this change, or an interrupted earlier one recovered first. */
  rollbacks: string[];
  /** Errors (`E`), unescaped; after an `OK` they are warnings and the change stands. */
  errors: string[];
  /** The last line: `OK`, `FAIL`, or null when the helper ended without one (killed, crashed). */
  status: 'OK' | 'FAIL' | null;
  /** Lines that fit no record, skipped. */
  malformedLines: number;
}

/** One line of the helper's history. */
export interface HistoryRecord {
  /** Epoch ms. */
  at: number;
  /** PKEXEC_UID when run through pkexec, else the helper's own uid. */
  uid: number;
  action: 'apply' | 'undo';
  before: KeepaliveValues;
  after: KeepaliveValues;
  persisted: boolean;
  outcome: 'applied' | 'rolled-back' | 'failed';
  message: string;
  /** The other network namespace changed (its inode); null for the helper's own, as in every older line. */
  namespace: string | null;
}

/** `\\` and `\xHH` back to the bytes the helper escaped, read as UTF-8 (invalid bytes become U+FFFD). */
export function unescapeHelperText(text: string): string {
  if (!text.includes('\\')) return text.slice(0, MAX_MESSAGE_CHARS);
  const bytes: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte === 0x5c && raw[i + 1] === 0x5c) {
      bytes.push(0x5c);
      i += 1;
    } else if (byte === 0x5c && raw[i + 1] === 0x78 && isHex(raw[i + 2]) && isHex(raw[i + 3])) {
      bytes.push(parseInt(String.fromCharCode(raw[i + 2]!, raw[i + 3]!), 16));
      i += 3;
    } else {
      bytes.push(byte);
    }
  }
  return new TextDecoder('utf-8').decode(Uint8Array.from(bytes)).slice(0, MAX_MESSAGE_CHARS);
}

function isHex(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46));
}

/** A namespace inode as the helper prints it: 1 to 4294967295, no leading zero. */
function inode(field: string | undefined): string | null {
  return field !== undefined && /^[1-9]\d{0,9}$/.test(field) && Number(field) <= 0xffff_ffff ? field : null;
}

/** A sysctl value as the helper prints it: decimal digits, no sign, within an int. */
function value(field: string | undefined): number | null {
  if (field === undefined || !/^\d{1,10}$/.test(field)) return null;
  const n = Number(field);
  return n <= 2_147_483_647 ? n : null;
}

function values(fields: readonly (string | undefined)[]): KeepaliveValues | null {
  const [timeSec, intervalSec, probes] = fields.map(value);
  if (timeSec == null || intervalSec == null || probes == null) return null;
  return { timeSec, intervalSec, probes };
}

/** The helper's whole stdout. Anything it did not print (killed half-way) stays null or empty. */
export function parseHelperOutput(text: string): HelperOutput {
  const out: HelperOutput = { namespace: null, before: null, after: null, dropIn: null, rollbacks: [], errors: [], status: null, malformedLines: 0 };
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    const fields = line.split('\t');
    const tag = fields[0];
    // The status counts only as the last line: anything after it means the helper went on.
    out.status = null;
    switch (tag) {
      case 'B':
      case 'A': {
        // `A - - -`: the helper could not read the values back.
        const unreadable = fields.length === 4 && fields.slice(1).every((f) => f === '-');
        const read = fields.length === 4 ? values(fields.slice(1)) : null;
        if (read === null && !unreadable) out.malformedLines += 1;
        else if (tag === 'B') out.before = read;
        else out.after = read;
        break;
      }
      case 'N': {
        const changed = fields.length === 2 ? inode(fields[1]) : null;
        if (changed === null) out.malformedLines += 1;
        else out.namespace = changed;
        break;
      }
      case 'D':
        if (fields.length !== 2 || fields[1] === '') out.malformedLines += 1;
        else out.dropIn = fields[1] === '-' ? null : unescapeHelperText(fields[1]!);
        break;
      case 'R':
      case 'E':
        // A tab inside a message is escaped by the helper; a raw one is joined rather than lost.
        if (fields.length < 2) out.malformedLines += 1;
        else (tag === 'R' ? out.rollbacks : out.errors).push(unescapeHelperText(fields.slice(1).join(' ')));
        break;
      case 'O':
        // Reserved by the protocol, not printed (override analysis is done in TypeScript).
        break;
      case 'OK':
      case 'FAIL':
        if (fields.length !== 1) out.malformedLines += 1;
        else out.status = tag;
        break;
      default:
        out.malformedLines += 1;
    }
  }
  return out;
}

/**
 * The history file. Lines that do not parse (a torn last line after a power cut, a hand edit)
 * are skipped rather than trusted; the result is in file order, oldest first.
 */
export function parseHistory(text: string): HistoryRecord[] {
  const records: HistoryRecord[] = [];
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if ((f.length !== 13 && f.length !== 14) || f[0] !== 'H') continue;
    const namespace = f.length === 14 ? inode(f[13]) : null;
    if (f.length === 14 && namespace === null) continue;
    const at = /^\d{1,15}$/.test(f[1]!) ? Number(f[1]) : null;
    const uid = /^\d{1,10}$/.test(f[2]!) ? Number(f[2]) : null;
    const action = f[3] === 'apply' || f[3] === 'undo' ? f[3] : null;
    const before = values(f.slice(4, 7));
    const after = values(f.slice(7, 10));
    const persisted = f[10] === '1' ? true : f[10] === '0' ? false : null;
    const outcome = f[11] === 'applied' || f[11] === 'rolled-back' || f[11] === 'failed' ? f[11] : null;
    if (at === null || uid === null || action === null || before === null || after === null || persisted === null || outcome === null) continue;
    records.push({ at, uid, action, before, after, persisted, outcome, message: unescapeHelperText(f[12]!), namespace });
  }
  return records;
}
