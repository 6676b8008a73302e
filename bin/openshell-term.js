#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx's loader so no build step is needed.
import { register } from 'tsx/esm/api';

// React's development build checks every render and is several times slower; the product runs the
// production build unless someone asks otherwise. (Set before anything imports React.)
process.env.NODE_ENV ??= 'production';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
