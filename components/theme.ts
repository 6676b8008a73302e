// Semantic colours: components ask for a role ("warn", "accent"), never for a colour name. NO_COLOR and
// the light theme are handled here, once.
import { useMemo } from 'react';
import { useUi } from '../hooks/console-contexts.js';

export type ThemeName = 'dark' | 'light';

export interface Theme {
  accent?: string;
  muted?: string;
  ok?: string;
  warn?: string;
  danger?: string;
  selection?: string;
  border?: string;
}

const DARK: Theme = { accent: 'cyan', muted: 'gray', ok: 'green', warn: 'yellow', danger: 'red', selection: 'blue', border: 'gray' };
const LIGHT: Theme = { accent: 'blue', muted: 'gray', ok: 'green', warn: 'magenta', danger: 'red', selection: 'cyan', border: 'gray' };
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

export function statusColor(theme: Theme, status: string, held: number): string | undefined {
  if (held > 0) return theme.warn;
  if (status === 'approved') return theme.ok;
  if (status === 'rejected') return theme.danger;
  if (status === 'expired') return theme.muted;
  return theme.accent;
}

/** The theme the console is in now (`:theme` changes it). */
export function useTheme(): Theme {
  const name = useUi((s) => s.theme);
  return useMemo(() => resolveTheme(name), [name]);
}
