// Semantic colours: components ask for a role ("warn", "accent"), never for a colour name. NO_COLOR and
// the light theme are handled here, once. What each request status and HTTP method looks like is data
// here too (symbol + role), so the inbox, the detail view and the tests agree.
import { useMemo } from 'react';
import { useUi } from '../hooks/console-contexts.js';
import type { RowStatus } from '../src/store/ui/request-status.js';

export type ThemeName = 'dark' | 'light';

export interface Theme {
  accent?: string;
  muted?: string;
  ok?: string;
  warn?: string;
  danger?: string;
  /** Read-only methods (GET, HEAD, OPTIONS): nothing changes upstream. */
  calm?: string;
  /** Methods that write (POST, PUT, PATCH). */
  warm?: string;
  /** The selected row's background (absent: the row is drawn inverse). */
  selection?: string;
  /** Text on the selection background. */
  selectionText?: string;
  border?: string;
}

export type Role = Exclude<keyof Theme, 'selection' | 'selectionText' | 'border'>;

const DARK: Theme = {
  accent: 'cyan',
  muted: 'gray',
  ok: 'green',
  warn: 'yellow',
  danger: 'red',
  calm: 'blue',
  warm: 'magenta',
  selection: 'blue',
  selectionText: 'white',
  border: 'gray',
};
const LIGHT: Theme = {
  accent: 'blue',
  muted: 'gray',
  ok: 'green',
  warn: 'magenta',
  danger: 'red',
  calm: 'cyan',
  warm: 'yellow',
  selection: 'cyan',
  selectionText: 'black',
  border: 'gray',
};
const PLAIN: Theme = {};

export function resolveTheme(name: string | undefined, env: NodeJS.ProcessEnv = process.env): Theme {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return PLAIN;
  const wanted = name ?? env.OPENSHELL_TERM_THEME ?? 'auto';
  if (wanted === 'light') return LIGHT;
  if (wanted === 'dark') return DARK;
  // auto: COLORFGBG ("fg;bg") names a light background when bg is 7 or 15.
  const bg = (env.COLORFGBG ?? '').split(';').pop();
  return bg === '7' || bg === '15' ? LIGHT : DARK;
}

/** Each status by symbol as well as colour (so it reads without colour, and for the colour-blind). */
export const STATUS_LOOK: Record<RowStatus, { symbol: string; role: Role; bold?: boolean }> = {
  pending: { symbol: '●', role: 'accent', bold: true },
  held: { symbol: '◐', role: 'warn', bold: true },
  approved: { symbol: '✓', role: 'ok' },
  rejected: { symbol: '✗', role: 'danger' },
  timedout: { symbol: '◌', role: 'warn' },
  expired: { symbol: '○', role: 'muted' },
  error: { symbol: '!', role: 'danger', bold: true },
};

/** Methods by what they do upstream: read (calm), write (warm), delete (danger); tunnels and the rest muted. */
export const METHOD_ROLE: Record<string, Role> = {
  GET: 'calm',
  HEAD: 'calm',
  OPTIONS: 'calm',
  POST: 'warm',
  PUT: 'warm',
  PATCH: 'warm',
  DELETE: 'danger',
  CONNECT: 'muted',
};

export const methodColor = (theme: Theme, method: string): string | undefined => theme[METHOD_ROLE[method.toUpperCase()] ?? 'accent'];

export const statusColor = (theme: Theme, status: RowStatus): string | undefined => theme[STATUS_LOOK[status].role];

/** The theme the console is in now (`:theme` changes it). */
export function useTheme(): Theme {
  const name = useUi((s) => s.theme);
  return useMemo(() => resolveTheme(name), [name]);
}
