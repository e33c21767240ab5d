import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The `idlewatch` command, built to out/cli/ as a self-contained ES module bundle: its runtime
 * dependencies (zod, ipaddr.js, ws, csv-stringify, d3, systeminformation) are inlined, so the
 * folder runs on a plain Node without node_modules. That is what lets a package ship the CLI
 * outside app.asar (which Node cannot read) while the desktop app's own code stays inside it
 * (electron-builder.config.mjs: asarUnpack). Lazily imported commands stay separate chunks, so
 * `idlewatch snapshot` still loads only what it runs (test/bench/startup.ts).
 */
export default defineConfig({
  root,
  logLevel: 'warn',
  build: {
    ssr: resolve(root, 'main/cli/main.ts'),
    outDir: resolve(root, 'out/cli'),
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: false,
    rolldownOptions: {
      // ws's optional native accelerators are looked up with require() inside try/catch: left
      // external, they stay optional.
      external: ['bufferutil', 'utf-8-validate', /^node:/, ...builtinModules],
      output: {
        format: 'esm',
        // .mjs: in a package the folder sits in app.asar.unpacked/, outside the reach of
        // package.json's "type": "module" (which is inside app.asar).
        entryFileNames: 'cli.mjs',
        chunkFileNames: '[name]-[hash].mjs',
        // Each dependency in a chunk of its own, so a module that is shared by lazy commands
        // is not hoisted into cli.mjs and loaded by every `idlewatch snapshot`.
        codeSplitting: { groups: [{ debugName: 'dependencies', name: (id: string) => /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(id)?.[1]?.replace('/', '-') ?? null }] },
      },
    },
  },
  // Bundle every dependency (vite's SSR build leaves node_modules external by default).
  ssr: { noExternal: true, target: 'node' },
});
