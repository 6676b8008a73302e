// Small display helpers. Everything an agent controls passes through `safe` before it reaches the screen.
import { sanitizeForTerminal } from '../src/core/text/sanitize.js';

export const safe = sanitizeForTerminal;

export function truncate(text: string, width: number): string {
  if (width <= 1) return text.slice(0, Math.max(0, width));
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

export function shortBinary(path: string): string {
  if (path === 'unknown' || path === '**') return path;
  return path.split('/').pop() || path;
}

export function age(fromMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - fromMs) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
