// UI state and UI actions reach components through two contexts: state (the UI store, read with
// selectors) and actions (dispatch, a stable function). A component that only acts never re-renders on
// state; one that only reads never sees dispatch.
import { createContext, type ReactNode, useContext } from 'react';
import { useStore } from 'zustand';
import type { UiAction } from '../src/store/ui/ui-reducer.js';
import type { ConsoleUiState } from '../src/store/ui/ui-state.js';
import type { UiStore } from '../src/store/ui/ui-store.js';

export type Dispatch = (action: UiAction) => void;

const UiStateContext = createContext<UiStore | undefined>(undefined);
const UiActionsContext = createContext<Dispatch | undefined>(undefined);

export function UiProvider({ ui, dispatch, children }: { ui: UiStore; dispatch: Dispatch; children: ReactNode }) {
  return (
    <UiStateContext.Provider value={ui}>
      <UiActionsContext.Provider value={dispatch}>{children}</UiActionsContext.Provider>
    </UiStateContext.Provider>
  );
}

/** A slice of UI state; re-renders only when the slice changes (return primitives or stable references). */
export function useUi<T>(selector: (state: ConsoleUiState) => T): T {
  const ui = useContext(UiStateContext);
  if (!ui) throw new Error('UiProvider is missing');
  return useStore(ui, selector);
}

export function useDispatch(): Dispatch {
  const dispatch = useContext(UiActionsContext);
  if (!dispatch) throw new Error('UiProvider is missing');
  return dispatch;
}
