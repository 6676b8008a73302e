// The inbox: the visible requests (newest first, filtered), the selection, a banner while a global policy
// blocks approvals, denials that will never be drafted, and the dialogs that belong to the inbox
// (approve-all with its list, clearing drafts, narrowing a proposal).
import { Box, Text } from 'ink';
import { useMemo } from 'react';
import { useUi } from '../hooks/console-contexts.js';
import { useNow } from '../hooks/useNow.js';
import { useConsoleStore, useGateway } from '../src/store/context.js';
import { GLOBAL_POLICY_APPROVE, sandboxesUnderGlobalPolicy } from '../src/store/ui/decision-guards.js';
import { checkEdit } from '../src/store/ui/edit-form.js';
import { defaultStateDir } from '../src/core/state/state-dir.js';
import { onboardingFor } from '../src/store/ui/onboarding.js';
import { selectSelected, selectVisibleRequests } from '../src/store/ui/selectors.js';
import { ApproveAllDialog } from './ApproveAllDialog.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { EditChunkDialog } from './EditChunkDialog.js';
import { EmptyInbox } from './EmptyInbox.js';
import { safe } from './format.js';
import { InboxTable } from './InboxTable.js';
import { useTheme } from './theme.js';
import { UndraftablePanel } from './UndraftablePanel.js';

export function InboxScreen({ height, width }: { height: number; width: number }) {
  const theme = useTheme();
  const now = useNow();
  const { capabilities, info } = useGateway();
  const onboarding = useMemo(() => onboardingFor(info, defaultStateDir()), [info]);
  const requests = useConsoleStore((s) => s.requests);
  const order = useConsoleStore((s) => s.order);
  const sandboxes = useConsoleStore((s) => s.sandboxes);
  const undraftable = useConsoleStore((s) => s.undraftable);
  const filter = useUi((s) => s.inboxFilter);
  const selectedId = useUi((s) => s.selectedId);
  const confirm = useUi((s) => s.confirm);
  const edit = useUi((s) => s.edit);
  const visible = useMemo(() => selectVisibleRequests(requests, order, filter), [requests, order, filter]);
  const selected = selectSelected(selectedId, visible).request;
  const global = useMemo(() => sandboxesUnderGlobalPolicy(sandboxes), [sandboxes]);
  const how = capabilities.lifetimes.length > 0 ? (confirm?.kind === 'approveAll' ? confirm.lifetime : '') : 'one policy revision';

  if (confirm?.kind === 'approveAll')
    return <ApproveAllDialog approve={confirm.approve} skip={confirm.skip} how={how} height={height} width={width} theme={theme} />;
  const edited = edit ? requests[edit.requestId] : undefined;
  if (edit && edited?.proposal) {
    const checked = checkEdit(edit, edited.proposal.rule);
    return (
      <EditChunkDialog
        requestLabel={`${edited.id} ${edited.host}:${edited.port}`}
        edit={edit}
        error={'error' in checked ? checked.error : undefined}
        theme={theme}
      />
    );
  }
  // Lines the banner and the never-drafted list take, then one line per request, plus the header and the
  // position line (and the question, while it is asked).
  const bannerLines = global.length > 0 ? 1 : 0;
  const panelLines = undraftable.length > 0 ? Math.min(undraftable.length + 1, 4) : 0;
  const tableRows = Math.max(1, height - 2 - bannerLines - panelLines - (confirm ? 4 : 0));
  return (
    <Box flexDirection="column">
      {global.length > 0 && (
        <Text color={theme.warn} wrap="truncate">
          {GLOBAL_POLICY_APPROVE}: {safe(global.map((g) => `${g.name} (global policy v${g.version})`).join(', '))}
        </Text>
      )}
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
      <UndraftablePanel denials={undraftable} height={panelLines} width={width} theme={theme} />
      {confirm?.kind === 'clearDrafts' && (
        <ConfirmDialog
          question={`Clear all ${confirm.count} pending proposals of ${safe(confirm.sandbox)}? The agent's denied requests stay denied.`}
          theme={theme}
        />
      )}
    </Box>
  );
}
