// Overlays about the selected request: its detail (where a/r/u/p still act) and the promote form.
import { useMemo } from 'react';
import { useUi } from '../hooks/console-contexts.js';
import { useNow } from '../hooks/useNow.js';
import { useConsoleStore, useGateway } from '../src/store/context.js';
import { selectBuiltinPresets, selectSelected, selectVisibleRequests } from '../src/store/ui/selectors.js';
import { previewPromote } from '../src/gateway/promote-draft.js';
import { PromoteDialog } from './PromoteDialog.js';
import { RequestDetail } from './RequestDetail.js';
import { useTheme } from './theme.js';

export function SelectionOverlay() {
  const theme = useTheme();
  const now = useNow();
  const { capabilities } = useGateway();
  const requests = useConsoleStore((s) => s.requests);
  const order = useConsoleStore((s) => s.order);
  const queries = useConsoleStore((s) => s.queries);
  const sandboxes = useConsoleStore((s) => s.sandboxes);
  const state = useUi((s) => s);
  const promote = state.promote;
  const promoted = promote ? requests[promote.requestId] : undefined;
  const builtins = useMemo(() => selectBuiltinPresets(state, { queries, sandboxes }), [state, queries, sandboxes]);
  const preview = useMemo(
    () => (promote && promoted ? previewPromote(promoted, promote.form, builtins.names) : {}),
    [promote, promoted, builtins],
  );
  const visible = useMemo(() => selectVisibleRequests(requests, order, state.inboxFilter), [requests, order, state.inboxFilter]);
  if (state.overlay === 'promote' && promote && promoted) {
    return (
      <PromoteDialog
        requestLabel={`${promoted.id} ${promoted.host}:${promoted.port}`}
        form={promote.form}
        focus={promote.focus}
        binary={promoted.binary}
        preview={preview.yaml}
        error={preview.error}
        warning={builtins.error}
        theme={theme}
      />
    );
  }
  const selected = selectSelected(state.selectedId, visible).request;
  return selected ? (
    <RequestDetail request={selected} now={now} revisionApproval={capabilities.lifetimes.length === 0} theme={theme} />
  ) : null;
}
