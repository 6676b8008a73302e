// The inbox: the visible requests (newest first, filtered), the selection, and the approve-all question.
import { Box } from 'ink';
import { useMemo } from 'react';
import { useUi } from '../hooks/console-contexts.js';
import { useNow } from '../hooks/useNow.js';
import { useConsoleStore, useGateway } from '../src/store/context.js';
import { selectSelected, selectVisibleRequests } from '../src/store/ui/selectors.js';
import { defaultStateDir } from '../src/core/state/state-dir.js';
import { onboardingFor } from '../src/store/ui/onboarding.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { EmptyInbox } from './EmptyInbox.js';
import { InboxTable } from './InboxTable.js';
import { useTheme } from './theme.js';

export function InboxScreen({ height, width }: { height: number; width: number }) {
  const theme = useTheme();
  const now = useNow();
  const { capabilities, info } = useGateway();
  const onboarding = useMemo(() => onboardingFor(info, defaultStateDir()), [info]);
  const requests = useConsoleStore((s) => s.requests);
  const order = useConsoleStore((s) => s.order);
  const filter = useUi((s) => s.inboxFilter);
  const selectedId = useUi((s) => s.selectedId);
  const confirm = useUi((s) => s.confirm);
  const visible = useMemo(() => selectVisibleRequests(requests, order, filter), [requests, order, filter]);
  const selected = selectSelected(selectedId, visible).request;
  // One line per request, plus the header and the position line (and the question, while it is asked).
  const tableRows = Math.max(1, height - 2 - (confirm ? 4 : 0));
  return (
    <Box flexDirection="column">
      <InboxTable
        rows={visible}
        selectedId={selected?.id}
        height={tableRows}
        width={width}
        now={now}
        filter={filter}
        total={order.length}
        theme={theme}
        empty={<EmptyInbox onboarding={onboarding} theme={theme} />}
      />
      {confirm && (
        <ConfirmDialog
          question={`Approve all ${confirm.ids.length} visible pending requests (${capabilities.lifetimes.length > 0 ? confirm.lifetime : 'one policy revision each'})?`}
          theme={theme}
        />
      )}
    </Box>
  );
}
