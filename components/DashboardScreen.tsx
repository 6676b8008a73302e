// The dashboard: every gateway this console knows, the active one's providers and sandboxes.
import { useMemo } from 'react';
import { useUi } from '../hooks/console-contexts.js';
import { useNow } from '../hooks/useNow.js';
import { useConsoleStore, useGateway, useGatewayDirectory } from '../src/store/context.js';
import { want, readSlot } from '../src/store/queries.js';
import { selectDashIndex } from '../src/store/ui/selectors.js';
import { selectProviderDetail } from '../src/store/ui/operator-selectors.js';
import { Dashboard } from './Dashboard.js';
import { ProviderDetailPane } from './ProviderDetailPane.js';
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
  const revision = useConsoleStore((s) => s.revision);
  const cursor = selectDashIndex(state, { gateways: directory.entries, sandboxes });
  const pendingBySandbox = useMemo(() => {
    const counts: Record<string, number> = {};
    for (const r of Object.values(requests)) if (r.status === 'pending') counts[r.sandbox] = (counts[r.sandbox] ?? 0) + 1;
    return counts;
  }, [requests]);
  if (state.providerDetail) {
    const world = { queries, sandboxes, revision, epoch, capabilities: gateway.capabilities };
    const slot = selectProviderDetail(state.providerDetail, world);
    return <ProviderDetailPane name={state.providerDetail} detail={slot.data} error={slot.error?.message} now={now} theme={theme} />;
  }
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
