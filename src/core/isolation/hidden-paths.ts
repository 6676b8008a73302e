// The paths an agent under `run` may neither read nor write, and what hiding them costs: Landlock only
// grants, so every directory on the way to a hidden path keeps just its listing, and the agent cannot
// create, rename or remove entries directly in it (everything else inside stays usable).
import { realpathSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';

/** Absolute, symlink-free paths; those that do not exist are left out (nothing to hide). */
export function resolveHidden(paths: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const path of paths) {
    try {
      out.add(realpathSync(resolve(path)));
    } catch {
      // not there: nothing to hide
    }
  }
  return [...out];
}

/** The directories that lead to hidden paths, "/" left out, shortest first. */
export function ancestorsOf(hidden: readonly string[]): string[] {
  const out = new Set<string>();
  for (const path of hidden) {
    for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) out.add(dir);
  }
  return [...out].sort((a, b) => a.length - b.length || a.localeCompare(b));
}

/** `dir` is a hidden path or leads to one, so the agent cannot create files directly in it. */
export function leadsToHidden(dir: string, hidden: readonly string[]): boolean {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return false;
  }
  return hidden.some((h) => h === real || h.startsWith(real.endsWith(sep) ? real : real + sep));
}
