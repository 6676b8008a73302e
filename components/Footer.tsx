// The prompt line and the nav bar: what is being typed, the keys live in this mode (generated from the
// command registry), the approval lifetime, and the last status.
import { Text } from 'ink';
import { useMemo } from 'react';
import { useUi } from '../hooks/console-contexts.js';
import { useGateway } from '../src/store/context.js';
import { selectFooter } from '../src/store/ui/selectors.js';
import type { ConsoleUiState } from '../src/store/ui/ui-state.js';
import { NavBar } from './NavBar.js';
import { Prompt } from './Prompt.js';
import { useTheme } from './theme.js';

const PROMPT_LABEL = { filter: '/', command: ':', reason: 'reject reason: ' } as const;

function promptLabel(prompt: NonNullable<ConsoleUiState['prompt']>): string {
  if (prompt.kind !== 'setting') return PROMPT_LABEL[prompt.kind];
  return `set ${prompt.setting?.key ?? ''} (${prompt.setting?.scope ?? ''}) = `;
}

export function Footer() {
  const theme = useTheme();
  const { capabilities } = useGateway();
  const state = useUi((s) => s);
  const footer = useMemo(() => selectFooter(state, capabilities), [state, capabilities]);
  return (
    <>
      {state.prompt ? <Prompt label={promptLabel(state.prompt)} value={state.prompt.value} theme={theme} /> : <Text> </Text>}
      <NavBar hints={footer.hints} lifetime={footer.lifetime} status={state.status} theme={theme} />
    </>
  );
}
