// The UI state's store: a vanilla zustand store per mounted console, written only through the reducer.
import { createStore } from 'zustand/vanilla';
import { type ConsoleUiState, initialUiState } from './ui-state.js';

export function createUiStore(initial: Partial<ConsoleUiState> = {}) {
  return createStore<ConsoleUiState>()(() => ({ ...initialUiState(), ...initial }));
}

export type UiStore = ReturnType<typeof createUiStore>;
