#!/usr/bin/env node
// The `idlewatch` command: runs the CLI that `npm run build` bundled to out/cli/cli.mjs.
// Nothing is compiled at run time and nothing is loaded from a path that an environment
// variable or another user could choose: the CLI runs as root, so it runs this checkout's
// build, at a fixed path relative to this file (DESIGN.md, Security model).
import { existsSync } from 'node:fs';

// A package runs this on the system's Node (build/linux/idlewatch), which may be older than the
// CLI's own code supports: say so instead of failing on syntax or a missing API.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`idlewatch: the command-line tool needs Node.js 20.19 or newer; ${process.execPath} is ${process.version}\n`);
  process.exit(1);
}

if (!existsSync(new URL('../../out/cli/cli.mjs', import.meta.url))) {
  const checkout = new URL('../..', import.meta.url).pathname;
  process.stderr.write(`idlewatch: the CLI is not built (out/cli/cli.mjs is missing): run \`npm run build\` in ${checkout}\n`);
  process.exit(1);
}
const { main } = await import('../../out/cli/cli.mjs');
process.exitCode = await main(process.argv.slice(2));
