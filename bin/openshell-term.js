#!/usr/bin/env node
// Launcher: runs the compiled build (dist/: shipped in the package; made by `npm install` and
// `npm run build` in a checkout) when it is up to date with the sources, else — in a checkout only — the
// TypeScript directly through tsx's loader, so an edited checkout never runs stale code.
import { fileURLToPath } from 'node:url';
import { buildIsFresh, isPackage } from './build-state.js';

// React's development build checks every render and is several times slower; the product runs the
// production build unless someone asks otherwise. (Set before anything imports React.)
process.env.NODE_ENV ??= 'production';

// grpc-js sets the TLS server name to the gateway's host even when it is an IP address (as upstream's
// client does); Node then warns DEP0123 on every such connection. That one is noise to an operator;
// every other warning still prints.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.code !== 'DEP0123') process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

const root = fileURLToPath(new URL('..', import.meta.url));
let cli;
// OPENSHELL_TERM_FROM_SOURCE=1 forces tsx in a checkout; an installed package has only its dist/.
const packaged = isPackage(root);
if (packaged || (process.env.OPENSHELL_TERM_FROM_SOURCE !== '1' && buildIsFresh(root))) {
  if (!buildIsFresh(root)) {
    process.stderr.write(`openshell-term: this installation has no compiled build (${root}dist); reinstall the package\n`);
    process.exit(1);
  }
  cli = await import('../dist/src/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  // tsx looks for tsconfig.json in the working directory; ours must apply wherever the command is run
  // (it sets the JSX runtime), so name it explicitly.
  register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
  cli = await import('../src/cli.ts');
}
process.exitCode = await cli.main(process.argv.slice(2));
