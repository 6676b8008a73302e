// A cheap pre-parse scan for absurd flow nesting ("[[[[…" or "{{{{…"). The YAML parser recurses per
// level, so such input would otherwise end in a stack overflow; we refuse it with a location instead.
// Quoted scalars and comments are skipped; block scalars are not, which can only make the scan stricter.
import { MAX_DEPTH } from './yaml-walk.js';

export function excessiveNesting(text: string): { line: number; col: number } | undefined {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') {
      line++;
      lineStart = i + 1;
      if (quote === "'") continue; // single-quoted scalars may span lines
      continue;
    }
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === lineStart || text[i - 1] === ' ' || text[i - 1] === '\t')) {
      const nl = text.indexOf('\n', i);
      i = (nl < 0 ? text.length : nl) - 1;
    } else if (ch === '[' || ch === '{') {
      if (++depth > MAX_DEPTH) return { line, col: i - lineStart + 1 };
    } else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
  return undefined;
}
