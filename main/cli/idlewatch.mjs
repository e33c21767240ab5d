#!/usr/bin/env node
// The `idlewatch` command. The CLI runs the TypeScript sources directly through tsx, so a
// checkout works right after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
