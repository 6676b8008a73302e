// Binds the console together: terminal keys → the UI reducer → effects (gateway calls, quit, switching
// gateways) → their outcomes back into the reducer. What the console does lives in the reducer
// (src/store/ui/ui-reducer.ts); this is only dispatch and effects, and nothing here waits on the network.
import { useInput, useStdout } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { errorInfo } from '../src/gateway/errors.js';
import { useConsoleStoreApi, useGateway, useGatewayDirectory } from '../src/store/context.js';
import { type Effect, performCall } from '../src/store/ui/effects.js';
import { keysOf } from '../src/store/ui/keys.js';
import { osc52 } from '../src/store/ui/osc52.js';
import { reduce, type UiAction } from '../src/store/ui/ui-reducer.js';
import { createUiStore, type UiStore } from '../src/store/ui/ui-store.js';
import { worldOf } from '../src/store/ui/world.js';
import type { Dispatch } from './console-contexts.js';
import { useRemoteQueries } from './useRemoteQueries.js';
import { useTerminalSize } from './useTerminalSize.js';

export interface ConsoleOptions {
  onQuit(): void;
  /** dark, light or auto (the `:theme` command changes it). */
  theme?: string;
  /** The status line to start with (e.g. that this console attached to a core already running). */
  status?: string;
}

export function useConsole({ onQuit, theme, status }: ConsoleOptions): { ui: UiStore; dispatch: Dispatch } {
  const store = useConsoleStoreApi();
  const gateway = useGateway();
  const directory = useGatewayDirectory();
  const { rows, columns } = useTerminalSize();
  const { stdout } = useStdout();
  const [ui] = useState(() =>
    createUiStore({ rows, columns, theme, ...(status ? { status: { text: status, kind: 'info' as const } } : {}) }),
  );
  // Effects read the latest directory and quit handler, whichever render dispatched them.
  const latest = useRef({ directory, onQuit });
  latest.current = { directory, onQuit };
  const currentDirectory = useCallback(() => latest.current.directory, []);

  const dispatch = useMemo(() => {
    const perform = (effect: Effect): void => {
      switch (effect.type) {
        case 'quit':
          return latest.current.onQuit();
        case 'copy':
          // Invisible and moves no cursor: written between frames, it leaves Ink's drawing as it was.
          stdout.write(osc52(effect.text));
          return;
        case 'switchGateway': {
          const problem = latest.current.directory.switchTo(effect.name);
          if (problem) dispatch({ type: 'status', status: { text: `cannot switch to ${effect.name}: ${problem}`, kind: 'error' } });
          return;
        }
        case 'call':
          performCall(gateway, effect.call).then(
            (result) => dispatch({ type: 'call.done', call: effect.call, result }),
            (error) => dispatch({ type: 'call.failed', call: effect.call, error: errorInfo(error) }),
          );
      }
    };
    const dispatch = (action: UiAction): void => {
      const world = worldOf(store.getState(), latest.current.directory, gateway.capabilities);
      const { state, effects } = reduce(ui.getState(), action, world);
      if (state !== ui.getState()) ui.setState(state, true);
      for (const effect of effects) perform(effect);
    };
    return dispatch;
  }, [store, gateway, ui, stdout]);

  // Everything that arrived together is every key that was pressed, in order ("jj" moves two rows).
  useInput(useCallback((input, key) => keysOf(input, key).forEach((k) => dispatch({ type: 'key', key: k })), [dispatch]));
  useEffect(() => {
    dispatch({ type: 'data.changed' });
    return store.subscribe(() => dispatch({ type: 'data.changed' }));
  }, [store, dispatch]);
  useEffect(() => dispatch({ type: 'resize', rows, columns }), [rows, columns, dispatch]);
  useRemoteQueries(ui, store, gateway, currentDirectory);
  return { ui, dispatch };
}
