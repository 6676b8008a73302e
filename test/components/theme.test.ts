// Themes are semantic palettes; NO_COLOR removes every colour.
import { describe, expect, it } from 'vitest';
import { resolveTheme } from '../../components/theme.js';

describe('themes', () => {
  it('NO_COLOR removes every colour', () => {
    expect(resolveTheme('dark', { NO_COLOR: '1' })).toEqual({});
  });
  it('light, dark and auto (COLORFGBG) pick semantic palettes', () => {
    expect(resolveTheme('light', {}).accent).toBe('blue');
    expect(resolveTheme('dark', {}).accent).toBe('cyan');
    expect(resolveTheme(undefined, { OPENSHELL_TERM_THEME: 'light' }).accent).toBe('blue');
    expect(resolveTheme(undefined, { COLORFGBG: '0;15' }).accent).toBe('blue');
    expect(resolveTheme(undefined, { COLORFGBG: '15;0' }).accent).toBe('cyan');
  });
});
