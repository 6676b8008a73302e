// The sandbox screen's other views (metadata, settings, draft history), each read from the store where
// the query hook put the gateway's answer.
import { useMemo } from 'react';
import { useUi } from '../hooks/console-contexts.js';
import { useConsoleStore, useGateway } from '../src/store/context.js';
import { selectDraftHistory, selectSandboxMetadata, selectSettingsRows } from '../src/store/ui/operator-selectors.js';
import { DraftHistoryView } from './DraftHistoryView.js';
import { SandboxMetadataPane } from './SandboxMetadataPane.js';
import { SettingsView } from './SettingsView.js';
import { useTheme } from './theme.js';

export function SandboxTabScreen({ height }: { height: number }) {
  const theme = useTheme();
  const { capabilities } = useGateway();
  const queries = useConsoleStore((s) => s.queries);
  const sandboxes = useConsoleStore((s) => s.sandboxes);
  const revision = useConsoleStore((s) => s.revision);
  const epoch = useConsoleStore((s) => s.epoch);
  const state = useUi((s) => s);
  const columns = state.columns;
  const world = useMemo(() => ({ queries, sandboxes, revision, epoch, capabilities }), [queries, sandboxes, revision, epoch, capabilities]);
  switch (state.sandboxTab) {
    case 'metadata': {
      const slot = selectSandboxMetadata(state, world);
      return <SandboxMetadataPane metadata={slot.data} error={slot.error?.message} theme={theme} />;
    }
    case 'settings': {
      const view = selectSettingsRows(state, world);
      return (
        <SettingsView
          sandbox={view.sandbox}
          rows={view.rows}
          cursor={view.cursor}
          loading={view.loading}
          error={view.error?.message}
          height={height}
          width={columns}
          theme={theme}
        />
      );
    }
    case 'history': {
      const slot = selectDraftHistory(state, world);
      return (
        <DraftHistoryView
          sandbox={state.currentSandbox ?? sandboxes[0]?.name}
          entries={slot.data}
          scroll={state.policyScroll}
          height={height}
          error={slot.error?.message}
          theme={theme}
        />
      );
    }
    case 'policy':
      return null;
  }
}
