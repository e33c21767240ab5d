/**
 * Entry of the Electron main process, bundled by electron-vite to out/main/index.js as an ES
 * module (package.json "type": "module"). ES modules have no CommonJS directory globals: the
 * build's layout is found from import.meta.url.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDesktopApp } from './desktop-app';

startDesktopApp({ outDir: join(dirname(fileURLToPath(import.meta.url)), '..') });
