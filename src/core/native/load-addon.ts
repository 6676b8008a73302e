// Loads one of our optional native addons (native/<dir>, built by `npm install` when a C compiler and
// Node's headers are there). Each has a JavaScript fallback, so "not here" is an answer, not an error.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../project-root.js';

/** native/<dir>/build/Release/<name>.node, or undefined when not on Linux, switched off with
 *  `<offSwitch>=1` in the environment, or not built. */
export function loadNativeAddon<T>(dir: string, name: string, offSwitch: string): T | undefined {
  if (process.platform !== 'linux' || process.env[offSwitch] === '1') return undefined;
  try {
    return createRequire(import.meta.url)(join(PROJECT_ROOT, 'native', dir, 'build', 'Release', `${name}.node`)) as T;
  } catch {
    return undefined;
  }
}

/**
 * What native/build.mjs could not build at install, one line each (what is slower or absent without it),
 * for the core to log at start: npm does not show an install script's output when it succeeds.
 */
export function loadNativeBuildProblems(): string[] {
  if (process.platform !== 'linux') return [];
  try {
    const report = JSON.parse(readFileSync(join(PROJECT_ROOT, 'native', 'build-report.json'), 'utf8')) as {
      problems?: { dir?: unknown; line?: unknown }[];
    };
    return (report.problems ?? []).filter((p) => typeof p.line === 'string').map((p) => p.line as string);
  } catch {
    return []; // no report: never built here (a checkout before `npm install`), nothing to say
  }
}
