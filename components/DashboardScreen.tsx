// The dashboard: every gateway this console knows, the active one's providers and sandboxes.
import { useMemo } from 'react';
import { useUi } from '../hooks/console-contexts.js';
import { useNow } from '../hooks/useNow.js';
import { useConsoleStore, useGateway, useGatewayDirectory } from '../src/store/context.js';
import { want, readSlot } from '../src/store/queries.js';
import { selectDashIndex } from '../src/store/ui/selectors.js';
import { Dashboard } from './Dashboard.js';
import { useTheme } from './theme.js';

export function DashboardScreen() {
  const theme = useTheme();
  const now = useNow();
  const gateway = useGateway();
  const directory = useGatewayDirectory();
  const sandboxes = useConsoleStore((s) => s.sandboxes);
  const requests = useConsoleStore((s) => s.requests);
  const queries = useConsoleStore((s) => s.queries);
  const epoch = useConsoleStore((s) => s.epoch);
  const state = useUi((s) => s);
  const cursor = selectDashIndex(state, { gateways: directory.entries, sandboxes });
  const pendingBySandbox = useMemo(() => {
    const counts: Record<string, number> = {};
    for (const r of Object.values(requests)) if (r.status === 'pending') counts[r.sandbox] = (counts[r.sandbox] ?? 0) + 1;
    return counts;
  }, [requests]);
  const providers = gateway.capabilities.providers
    ? readSlot(queries, { ...want('providers', undefined, epoch), kind: 'providers' })
    : undefined;
  return (
    <Dashboard
      gateways={directory.entries}
      active={directory.active}
      cursor={cursor}
      providers={
        providers === undefined
          ? { none: `${gateway.info.name} has no inference providers` }
          : providers.error
            ? { error: `providers unavailable: ${providers.error.message}` }
            : providers.data
      }
      sandboxes={sandboxes}
      pendingBySandbox={pendingBySandbox}
      now={now}
      theme={theme}
    />
  );
}
