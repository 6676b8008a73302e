// The sandbox screen: its effective policy (each entry labelled by its layer) and revisions, or a
// comparison of a past revision with the current one; all fetched into the store by the query hook.
import { useMemo } from 'react';
import { useUi } from '../hooks/console-contexts.js';
import { useConsoleStore } from '../src/store/context.js';
import { selectSandboxView } from '../src/store/ui/selectors.js';
import { SandboxTabScreen } from './SandboxTabScreen.js';
import { SandboxView } from './SandboxView.js';
import { useTheme } from './theme.js';

export function SandboxScreen({ height }: { height: number }) {
  const tab = useUi((s) => s.sandboxTab);
  return tab === 'policy' ? <PolicyScreen height={height} /> : <SandboxTabScreen height={height} />;
}

function PolicyScreen({ height }: { height: number }) {
  const theme = useTheme();
  const queries = useConsoleStore((s) => s.queries);
  const sandboxes = useConsoleStore((s) => s.sandboxes);
  const revision = useConsoleStore((s) => s.revision);
  const state = useUi((s) => s);
  const view = useMemo(() => selectSandboxView(state, { queries, sandboxes, revision }), [state, queries, sandboxes, revision]);
  const error = view.comparison?.error ?? view.policy.error ?? view.revisions.error;
  return (
    <SandboxView
      policy={view.policy.data}
      comparison={view.comparison?.data}
      comparing={state.compareRev}
      revisions={view.revisions.data ?? []}
      height={height}
      scroll={Math.min(state.policyScroll, Math.max(0, view.lines - 1))}
      theme={theme}
      error={error ? `${error.message}${view.comparison?.error ? ' (Esc returns)' : ''}` : undefined}
    />
  );
}
