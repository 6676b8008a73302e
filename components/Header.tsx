// The title bar, fed from the gateway's store: which gateway, its health, the sandbox, what is pending.
import { useMemo } from 'react';
import { useUi } from '../hooks/console-contexts.js';
import { useNow } from '../hooks/useNow.js';
import { useConsoleStore } from '../src/store/context.js';
import { protocolBadge } from './format.js';
import { useTheme } from './theme.js';
import { TitleBar } from './TitleBar.js';

export function Header() {
  const theme = useTheme();
  const now = useNow();
  const gateway = useConsoleStore((s) => s.gateway);
  // The adapter fills in version and protocol when it connects: read them as values, not through the object.
  const protocol = useConsoleStore((s) => protocolBadge(s.gateway.version, s.gateway.protocol));
  const workspace = useConsoleStore((s) => s.workspace);
  const connection = useConsoleStore((s) => s.connection);
  const revision = useConsoleStore((s) => s.revision?.number);
  const sandboxes = useConsoleStore((s) => s.sandboxes);
  const requests = useConsoleStore((s) => s.requests);
  const current = useUi((s) => s.currentSandbox);
  const pending = useMemo(() => Object.values(requests).filter((r) => r.status === 'pending').length, [requests]);
  const sandbox = current ?? (sandboxes.length > 1 ? `${sandboxes.length} sandboxes` : (sandboxes[0]?.name ?? '—'));
  return (
    <TitleBar
      gateway={gateway}
      connection={connection}
      sandbox={sandbox}
      protocol={protocol}
      workspace={workspace}
      pending={pending}
      revision={revision}
      now={now}
      theme={theme}
    />
  );
}
