// What a change does to a preset file, as a unified diff of its YAML (jsdiff): the promote dialog and
// `promote --dry-run` show it before anything is written. An absent file diffs from /dev/null.
import { createTwoFilesPatch } from 'diff';

export function presetDiff(file: string, before: string | undefined, after: string): string {
  if (before === after) return '';
  const patch = createTwoFilesPatch(before === undefined ? '/dev/null' : file, file, before ?? '', after, undefined, undefined, {
    context: 3,
  });
  // jsdiff starts with an "Index:" line and a row of '='; a unified diff starts at the --- header.
  return patch.slice(patch.indexOf('--- '));
}
