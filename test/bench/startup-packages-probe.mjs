// Preloaded by test/bench/startup.ts (`node --import` this file) into one extra run of the CLI:
// at exit it prints on stderr which packages from node_modules the process loaded, so the
// bench can say whether systeminformation (or ws) is on the snapshot's start-up path. CommonJS
// packages only (require.cache), which covers those two. Benchmark only.
import { createRequire } from 'node:module';

const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const packages = new Set();
  for (const file of Object.keys(cache)) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (match) packages.add(match[1]);
  }
  process.stderr.write(`\nSTARTUP-PACKAGES ${JSON.stringify([...packages].sort())}\n`);
});
