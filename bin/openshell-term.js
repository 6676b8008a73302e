#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx's loader so no build step is needed.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// React's development build checks every render and is several times slower; the product runs the
// production build unless someone asks otherwise. (Set before anything imports React.)
process.env.NODE_ENV ??= 'production';

// tsx looks for tsconfig.json in the working directory; ours must apply wherever the command is run
// (it sets the JSX runtime), so name it explicitly.
// grpc-js sets the TLS server name to the gateway's host even when it is an IP address (as upstream's
// client does); Node then warns DEP0123 on every such connection. That one is noise to an operator;
// every other warning still prints.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.code !== 'DEP0123') process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
