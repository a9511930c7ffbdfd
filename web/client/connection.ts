/**
 * Whether the dashboard still reaches the API: the last answer and the last failure, shown in the
 * header so a lost connection is never hidden behind stale figures.
 */
import { createStore } from './store.ts';

export interface ConnectionState {
  /** when the API last answered. */
  lastAnswer: number | null;
  /** why the last call failed, while the API has not answered since. */
  failure: string | null;
}

export const connection = createStore<ConnectionState>({ lastAnswer: null, failure: null });

export function noteSuccess(): void {
  connection.set({ lastAnswer: Date.now(), failure: null });
}

export function noteFailure(message: string): void {
  connection.set({ ...connection.get(), failure: message });
}
