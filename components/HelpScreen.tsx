// The `?` overlay for the screen underneath, generated from the command registry.
import { useMemo } from 'react';
import { useUi } from '../hooks/console-contexts.js';
import { useGateway } from '../src/store/context.js';
import { selectHelp } from '../src/store/ui/selectors.js';
import { HelpOverlay } from './HelpOverlay.js';
import { useTheme } from './theme.js';

export function HelpScreen() {
  const theme = useTheme();
  const { capabilities } = useGateway();
  const screen = useUi((s) => s.screen);
  const help = useMemo(() => selectHelp(screen, capabilities), [screen, capabilities]);
  return <HelpOverlay title={help.title} entries={help.entries} commands={help.commands} theme={theme} />;
}
