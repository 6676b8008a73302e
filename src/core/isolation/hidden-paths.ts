// The paths an agent under `run` may neither read nor write, and what hiding them costs: Landlock only
// grants, so every directory on the way to a hidden path keeps just its listing, and the agent cannot
// create, rename or remove entries directly in it (everything else inside stays usable).
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

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

/**
 * openshell-term's own code, for the read-only rule: the package directory, and every dependency that
 * lives outside it behind a link (node_modules itself as a link, as in a worktree sharing its checkout's;
 * top-level and scoped entries that are links, as pnpm and `npm link` make them). Landlock rules follow
 * the real path, so a rule on the package alone left those writable, and the operator's next command
 * (the core itself) would load what the agent wrote there.
 */
export function ownCodePaths(root: string): string[] {
  const real = resolveHidden([root]);
  if (real.length === 0) return [];
  const inside = (path: string) => path === real[0] || path.startsWith(real[0] + sep);
  const out = new Set(real);
  const modules = join(real[0], 'node_modules');
  const linked = (path: string) => {
    try {
      const target = realpathSync(path);
      if (!inside(target)) out.add(target);
    } catch {
      // a dangling link loads nothing
    }
  };
  linked(modules);
  const entries = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const name of entries(modules)) {
    const path = join(modules, name);
    if (name.startsWith('@')) {
      for (const scoped of entries(path)) if (lstatSync(join(path, scoped)).isSymbolicLink()) linked(join(path, scoped));
    } else if (lstatSync(path).isSymbolicLink()) linked(path);
  }
  return [...out];
}
