import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * electron-vite build of the desktop app: main process, preload and the Svelte renderer.
 * Named electron.config.ts by the design card, so every call passes `--config electron.config.ts`.
 */
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // An ES module (package.json "type": "module", Electron ≥ 28): out/main/index.js.
      // Runtime dependencies (zod, ipaddr.js, …) stay in node_modules, which electron-builder
      // packages from "dependencies"; electron and node: built-ins are always external.
      externalizeDeps: true,
      rolldownOptions: { input: { index: resolve(root, 'main/electron/main.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot be an ES module and its require() knows only 'electron' and a
      // few built-ins (electronjs.org/docs/latest/tutorial/sandbox#preload-scripts): one CommonJS
      // file with every dependency (zod via the contract) bundled in.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [svelte()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: { input: { index: resolve(root, 'renderer/index.html') } },
    },
  },
});
