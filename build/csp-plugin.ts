import type { Plugin } from 'vite';
import { META_CONTENT_SECURITY_POLICY } from '../shared/csp';

/**
 * Writes the one Content-Security-Policy (shared/csp.ts) into index.html as the first element
 * of <head>, so no copy of it is kept by hand in the page.
 */
export function contentSecurityPolicy(): Plugin {
  return {
    name: 'idlewatch-content-security-policy',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: META_CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' },
    ],
  };
}
