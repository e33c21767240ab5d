/**
 * CSV injection ("formula injection", owasp.org/www-community/attacks/CSV_Injection): a
 * spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@` as a formula, and
 * some also after a leading tab or carriage return — so a process named `=HYPERLINK("http://…")`
 * would become a link, or worse, in the administrator's spreadsheet. OWASP's fix: such a cell is
 * prefixed with a single quote, which spreadsheets read as "text" and show without it.
 *
 * Only text columns go through here: numbers stay numbers (a negative countdown stays -12.5, not
 * "'-12.5"), as they are written by the CSV writer, not built from system text.
 */
import { reportText, TEXT_LIMIT_CHARS } from './text';

/**
 * OWASP's list, plus line feed, plus the full-width = + - @ that Apple Numbers folds to their
 * ASCII forms before deciding (as csv-stringify's escape_formulas lists them): what a
 * spreadsheet may read as the start of a formula.
 */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r', '\n', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20']);

/**
 * A text cell from the system, safe to open in a spreadsheet. printable() comes first, so tab,
 * CR and LF are already shown as `\x09`, `\x0d`, `\x0a` and cannot start the cell; they stay in
 * the list because this function must not depend on that. A tab prefix alone would not do: a
 * tab is itself on the list.
 */
export function spreadsheetText(raw: string, limitChars = TEXT_LIMIT_CHARS): string {
  return neutralised(reportText(raw, limitChars));
}

/** Text already made printable and bounded (a label, a sentence of ours that quotes system text). */
export function neutralised(text: string): string {
  return text.length > 0 && FORMULA_START.has(text[0]!) ? `'${text}` : text;
}
