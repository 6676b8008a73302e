// Small display helpers. Everything an agent controls passes through `safe` before it reaches the screen.
import { sanitizeForTerminal } from '../src/core/text/sanitize.js';
import { ALL_WORKSPACES } from '../src/gateway/operator-views.js';

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

/** The protocol a gateway speaks, as the title bar says it: `0.1.11 · openshell.v1`, `0.0.9 · legacy 0.0.x`. */
export function protocolBadge(version: string, protocol: string | undefined): string | undefined {
  if (!protocol) return undefined;
  const legacy = /^(\S+) \(0\.0\.x\)$/.exec(protocol);
  return `${version || '?'} · ${legacy ? 'legacy 0.0.x' : protocol}`;
}

/** How a workspace is named in the title bar. */
export const workspaceTitle = (name: string) => (name === ALL_WORKSPACES ? 'all workspaces' : `workspace ${name}`);
