#!/usr/bin/env node
// The `idlewatch` command: runs the CLI that `npm run build` bundled to out/main/cli.js.
// Nothing is compiled at run time and nothing is loaded from a path that an environment
// variable or another user could choose: the CLI runs as root, so it runs this checkout's
// build, at a fixed path relative to this file (DESIGN.md, Security model).
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../../out/main/cli.js', import.meta.url))) {
  const checkout = new URL('../..', import.meta.url).pathname;
  process.stderr.write(`idlewatch: the CLI is not built (out/main/cli.js is missing): run \`npm run build\` in ${checkout}\n`);
  process.exit(1);
}
const { main } = await import('../../out/main/cli.js');
process.exitCode = await main(process.argv.slice(2));
