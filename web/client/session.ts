/**
 * The API token the dashboard acts with: kept in this tab's sessionStorage (never in a URL or a
 * cookie), sent as a bearer token, forgotten on sign-out or when the API refuses it.
 */
import { createStore } from './store.ts';

const KEY = 'sluice.token';

export interface SessionState {
  token: string | null;
  /** why the dashboard asks for a token: the API refused the request without one or with this one. */
  refused: string | null;
}

export const session = createStore<SessionState>({ token: sessionStorage.getItem(KEY), refused: null });

export function authorizationHeader(): Record<string, string> {
  const token = session.get().token;
  return token ? { authorization: `Bearer ${token}` } : {};
}

export function startSession(token: string): void {
  sessionStorage.setItem(KEY, token);
  session.set({ token, refused: null });
}

export function endSession(refused: string | null): void {
  sessionStorage.removeItem(KEY);
  session.set({ token: null, refused });
}
