// The one query hook: whatever remote data the UI state asks for (selectWantedQueries) and the store does
// not hold yet is fetched from the gateway into the store. Answers to questions no longer asked are
// dropped; failures are stored and shown where the data would be, never swallowed.
import { useEffect } from 'react';
import type { Gateway } from '../src/gateway/gateway.js';
import type { ConsoleStoreApi } from '../src/store/console-store.js';
import type { GatewayDirectory } from '../src/store/gateway-directory.js';
import { answered, fetchQuery, settledSlot } from '../src/store/queries.js';
import { selectWantedQueries } from '../src/store/ui/selectors.js';
import type { UiStore } from '../src/store/ui/ui-store.js';
import { worldOf } from '../src/store/ui/world.js';

export function useRemoteQueries(ui: UiStore, store: ConsoleStoreApi, gateway: Gateway, directory: () => GatewayDirectory): void {
  useEffect(() => {
    const check = () => {
      const data = store.getState();
      for (const q of selectWantedQueries(ui.getState(), worldOf(data, directory(), gateway.capabilities))) {
        if (answered(data.queries, q)) continue;
        const previous = data.queries[q.kind];
        data.setQuery(q.kind, {
          family: q.family,
          key: q.key,
          status: 'loading',
          data: previous?.family === q.family ? previous.data : undefined,
        });
        const settle = (outcome: { data: unknown } | { error: unknown }) => {
          const now = store.getState();
          if (now.queries[q.kind]?.key === q.key) now.setQuery(q.kind, settledSlot(q, outcome, now.queries[q.kind]));
        };
        fetchQuery(gateway, q).then(
          (answer) => settle({ data: answer }),
          (error) => settle({ error }),
        );
      }
    };
    check();
    const unsubscribeUi = ui.subscribe(check);
    const unsubscribeData = store.subscribe(check);
    return () => {
      unsubscribeUi();
      unsubscribeData();
    };
  }, [ui, store, gateway, directory]);
}
