// Whether dist/ (the compiled build, made by `npm run build`, on `npm install` in a checkout, and shipped
// in the package) is at least as new as every source file: then the launcher runs it directly; otherwise
// it runs the TypeScript through tsx, so an edited checkout never runs stale code. An installed package
// has no sources (no src/): its dist/ is what it is, and fresh by definition.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const STAMP = 'dist/.built';
const SOURCES = ['src', 'components', 'hooks', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newest(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = info.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/** True when this is an installed package rather than a checkout: it ships dist/ and no sources. */
export function isPackage(root) {
  return !existsSync(join(root, 'src'));
}

export function buildIsFresh(root) {
  let built;
  try {
    built = statSync(join(root, STAMP)).mtimeMs;
  } catch {
    return false;
  }
  if (isPackage(root)) return true;
  return SOURCES.every((source) => {
    try {
      return newest(join(root, source)) <= built;
    } catch {
      return true; // absent: nothing newer
    }
  });
}
