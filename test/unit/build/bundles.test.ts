/**
 * What the build ships, read from out/ (npm test builds first when it is missing or stale:
 * test/run-all.mjs). These are the promises the sources alone cannot prove.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { META_CONTENT_SECURITY_POLICY } from '../../../shared/csp';

const out = (path: string) => fileURLToPath(new URL(`../../../out/${path}`, import.meta.url));

describe('the preload bundle', () => {
  const preload = out('preload/index.cjs');

  it('is built', () => {
    expect(existsSync(preload), 'run `npm run build`').toBe(true);
  });

  it('stays under 5 kB: channel names only, no schemas or validation libraries', () => {
    const bytes = statSync(preload).size;
    console.log(`out/preload/index.cjs: ${bytes} bytes`);
    expect(bytes).toBeLessThan(5 * 1024);
    const text = readFileSync(preload, 'utf8');
    expect(text).not.toMatch(/zod|ipaddr/i);
  });

  it('requires nothing but electron (a sandboxed preload can load nothing else)', () => {
    const text = readFileSync(preload, 'utf8');
    const required = [...text.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
  });
});

describe('the built page', () => {
  it('carries the one Content-Security-Policy of shared/csp.ts, first in <head>', () => {
    const html = readFileSync(out('renderer/index.html'), 'utf8');
    const unescape = (text: string) => text.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');
    const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)"/g)].map((m) => unescape(m[1]!));
    expect(metas).toEqual([META_CONTENT_SECURITY_POLICY]);
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<script'));
  });
});
