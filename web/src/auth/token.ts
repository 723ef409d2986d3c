/**
 * The operator token: handed over in the URL fragment (`#token=…`, which
 * browsers never send to a server), kept in sessionStorage for the tab's
 * life, and taken out of the address bar at once.
 */
export const TOKEN_KEY = 'tidemark.operatorToken';

/** The part of Storage the console uses; sessionStorage in the browser. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Splits `#token=…&rest` into the token and the fragment without it. */
export function takeTokenFromFragment(hash: string): { token?: string; hash: string } {
  const body = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!body.startsWith('token=') && !body.includes('&token=')) return { hash };
  const parts = body.split('&');
  const tokenPart = parts.find((part) => part.startsWith('token='));
  const rest = parts.filter((part) => part !== tokenPart);
  const token = decodeURIComponent((tokenPart ?? '').slice('token='.length)).trim();
  return { token: token || undefined, hash: rest.length > 0 ? `#${rest.join('&')}` : '' };
}

/** Operator tokens start with `tmo_`; agent tokens (`tma_`) must not be pasted here. */
export function tokenProblem(token: string): string | undefined {
  if (token.startsWith('tma_'))
    return 'that is an agent credential; the console needs an operator token (tmo_…)';
  if (!/^tmo_[A-Za-z0-9_-]{20,}$/.test(token))
    return 'an operator token looks like tmo_ followed by at least 20 letters';
  return undefined;
}

export function tokenStore(storage: KeyValueStorage) {
  return {
    get: (): string | undefined => storage.getItem(TOKEN_KEY) ?? undefined,
    set: (token: string) => storage.setItem(TOKEN_KEY, token),
    clear: () => storage.removeItem(TOKEN_KEY),
  };
}
