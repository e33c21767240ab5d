import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentSecurityPolicy } from './build/csp-plugin';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * electron-vite build of the desktop app: main process, preload and the Svelte renderer.
 * Named electron.config.ts by the design card, so every call passes `--config electron.config.ts`.
 */
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // ES modules (package.json "type": "module", Electron ≥ 28): out/main/index.js, the
      // Electron main process. The `idlewatch` command is built apart, self-contained, to out/cli/
      // (build/cli.config.ts), because a package ships it outside app.asar for a plain Node.
      // Runtime dependencies (zod, ipaddr.js, …) stay in node_modules, which electron-builder
      // packs into app.asar from "dependencies"; electron and node: built-ins are always external.
      externalizeDeps: true,
      rolldownOptions: {
        input: { index: resolve(root, 'main/electron/main.ts') },
        // Shared and lazily imported chunks sit beside the entries, not in a chunks/ folder:
        // modules find the build's layout (out/bin, out/renderer) from their import.meta.url.
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot be an ES module and its require() knows only 'electron' and a
      // few built-ins (electronjs.org/docs/latest/tutorial/sandbox#preload-scripts): one CommonJS
      // file. It imports only the contract's names (shared/api/channels.ts), so it stays a few kB
      // (test/unit/build/bundles.test.ts).
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    // The one Content-Security-Policy (shared/csp.ts) is written into index.html by the build.
    plugins: [svelte(), contentSecurityPolicy()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: { input: { index: resolve(root, 'renderer/index.html') } },
    },
  },
});
