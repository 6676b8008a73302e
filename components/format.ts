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

/** Cuts the middle out of text longer than width ("very-long-…cluster.local"): both ends of a host name say most. */
export function middleEllipsis(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return chars.slice(0, Math.max(0, width)).join('');
  const tail = Math.floor((width - 1) / 2);
  const head = width - 1 - tail;
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

/** host:port in width: the port always whole, the host cut in the middle when it must be ([v6] kept bracketed). */
export function destination(host: string, port: number, width: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  const p = `:${port}`;
  if (h.length + p.length <= width) return h + p;
  return middleEllipsis(h, Math.max(1, width - p.length)) + p;
}

/** Pads (or cuts) to exactly width characters. */
export function padTo(text: string, width: number): string {
  const chars = [...text];
  return chars.length >= width ? chars.slice(0, width).join('') : text + ' '.repeat(width - chars.length);
}
/** The protocol a gateway speaks, as the title bar says it: `0.1.11 · openshell.v1`, `0.0.9 · legacy 0.0.x`. */
export function protocolBadge(version: string, protocol: string | undefined): string | undefined {
  if (!protocol) return undefined;
  const legacy = /^(\S+) \(0\.0\.x\)$/.exec(protocol);
  return `${version || '?'} · ${legacy ? 'legacy 0.0.x' : protocol}`;
}

/** How a workspace is named in the title bar. */
export const workspaceTitle = (name: string) => (name === ALL_WORKSPACES ? 'all workspaces' : `workspace ${name}`);
