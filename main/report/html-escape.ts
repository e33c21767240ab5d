/**
 * The one way text reaches the HTML report: escaped for element content and quoted attribute
 * values alike (OWASP XSS prevention, rule #1 and #2). Text from the system goes through
 * ./text.ts first, so a `<script>` process name shows as text and a bidi override shows as
 * `\u202e` instead of reversing the row.
 */
import { reportLabel, reportText } from './text';

const SPECIAL = /[&<>"']/g;
/** Without the g flag: a global regex's test() moves its lastIndex and would skip the next text. */
const HAS_SPECIAL = /[&<>"']/;
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return HAS_SPECIAL.test(text) ? text.replace(SPECIAL, (c) => ENTITY[c]!) : text;
}

/** Raw text from the system (a host name, an address, a warning), ready for the page. */
export function htmlText(raw: string, limitChars?: number): string {
  return escapeHtml(reportText(raw, limitChars));
}

/** A label that is already printable (shared/labels.ts, shared/explain.ts), ready for the page. */
export function htmlLabel(label: string, limitChars?: number): string {
  return escapeHtml(reportLabel(label, limitChars));
}
