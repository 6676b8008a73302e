// The prompt line and the nav bar: what is being typed, the keys live in this mode (generated from the
// command registry), the approval lifetime, and the last status.
import { Text } from 'ink';
import { useMemo } from 'react';
import { useUi } from '../hooks/console-contexts.js';
import { useGateway } from '../src/store/context.js';
import { selectFooter } from '../src/store/ui/selectors.js';
import { NavBar } from './NavBar.js';
import { Prompt } from './Prompt.js';
import { useTheme } from './theme.js';

const PROMPT_LABEL = { filter: '/', command: ':', reason: 'reject reason: ' } as const;

export function Footer() {
  const theme = useTheme();
  const { capabilities } = useGateway();
  const state = useUi((s) => s);
  const footer = useMemo(() => selectFooter(state, capabilities), [state, capabilities]);
  return (
    <>
      {state.prompt ? <Prompt label={PROMPT_LABEL[state.prompt.kind]} value={state.prompt.value} theme={theme} /> : <Text> </Text>}
      <NavBar hints={footer.hints} lifetime={footer.lifetime} status={state.status} theme={theme} />
    </>
  );
}
