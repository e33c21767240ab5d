/**
 * Text that came from the system (a process name, a user, a rule's name, a helper's warning), made
 * fit for a report whatever the format: printable (shared/format.ts escapes C0/C1 controls and
 * bidirectional overrides, so they show and do nothing), well-formed UTF-16 (a lone surrogate
 * cannot be encoded as UTF-8 and makes some readers reject the whole file), and bounded (a
 * process may give itself a 10 kB name; one cell must not swallow a page or a spreadsheet's
 * 32,767-character cell limit). Each format then escapes for itself (./html.ts, ./spreadsheet-safe.ts).
 */
import { printable } from '../../shared/format';

/** Long enough for any real command line worth reading, far below a spreadsheet cell's limit. */
export const TEXT_LIMIT_CHARS = 1024;

const ANY_SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Lone surrogates become U+FFFD, as String.prototype.toWellFormed (ES2024) does; the lib this
 * project compiles against is ES2023.
 */
export function wellFormed(text: string): string {
  // Most text has no surrogate at all: the cheap test spares the lookbehind on 100,000 rows.
  return ANY_SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\uFFFD') : text;
}

/** At most `limitChars` UTF-16 units, '…' marking a cut; never cuts a surrogate pair in half. */
export function bounded(text: string, limitChars = TEXT_LIMIT_CHARS): string {
  if (text.length <= limitChars) return text;
  let end = limitChars - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** Text that is already printable (a label from shared/labels.ts): well-formed and bounded. */
export function reportLabel(text: string, limitChars = TEXT_LIMIT_CHARS): string {
  return bounded(wellFormed(text), limitChars);
}

/** Raw text from the system: printable, well-formed and bounded. */
export function reportText(raw: string, limitChars = TEXT_LIMIT_CHARS): string {
  return reportLabel(printable(raw), limitChars);
}
