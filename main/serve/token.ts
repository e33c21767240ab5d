import { randomBytes, timingSafeEqual } from 'node:crypto';

/** 192 random bits, URL-safe: the only credential of browser mode. */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Compares in constant time, so response timing tells nothing about the token. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
