/** Text formatting shared by the CLI and the renderer. */

/** A duration as an administrator reads it: "2h 11m", "4m 05s", "7.3s", "120ms". */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 10_000) return `${sign}${(abs / 1000).toFixed(1)}s`;
  const totalSec = Math.floor(abs / 1000);
  const d = Math.floor(totalSec / 86_400);
  const h = Math.floor((totalSec % 86_400) / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = totalSec % 60;
  if (d > 0) return `${sign}${d}d ${h}h`;
  if (h > 0) return `${sign}${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${sign}${m}m ${String(s).padStart(2, '0')}s`;
  return `${sign}${s}s`;
}

/**
 * Characters that must not reach a terminal or a page raw from untrusted text (a process name,
 * which a process may set to anything but NUL; a rule name; a helper's message):
 * - C0 and C1 controls and DEL, which move the cursor or end a line;
 * - bidirectional controls (U+061C, U+200E–200F, U+202A–202E, U+2066–2069), which reorder what
 *   follows ("\u202eevil.exe" shows as "exe.live") and misalign columns;
 * - the backslash, escaped so an escape sequence stays unambiguous.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\\]/g;

/** Makes untrusted text safe to print: each character above becomes a visible \xHH or \uHHHH escape. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    if (c === '\\') return '\\\\';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** "address:port", with IPv6 addresses in brackets. */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
