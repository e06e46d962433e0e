#!/usr/bin/env node
// The package's command. The project is TypeScript run as it is (no build step, as `npm start`):
// tsx, a dependency of the package, registers its loader, then the command module runs.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/serverless-inspector.ts');
process.exitCode = await main(process.argv.slice(2));
