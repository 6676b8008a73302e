// The confirm dialog of a single gateway call that asks first (a setting set or deleted): it says exactly
// what y will send. Approve-all has its own dialog in the inbox.
import { useUi } from '../hooks/console-contexts.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { useTheme } from './theme.js';

export function PendingCallDialog() {
  const theme = useTheme();
  const question = useUi((s) => (s.overlay === 'confirm' ? s.pendingCall?.question : undefined));
  return question ? <ConfirmDialog question={question} theme={theme} /> : null;
}
