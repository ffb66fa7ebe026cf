/**
 * The token lives for this tab only: sessionStorage survives a reload of the tab and dies with it, is never
 * shared with other tabs, and never appears in a URL. Where storage is refused, the token stays in memory.
 */
const key = 'salve.token';

export const tabSession = {
  token(): string | null {
    try {
      return sessionStorage.getItem(key);
    } catch {
      return null;
    }
  },
  save(token: string): void {
    try {
      sessionStorage.setItem(key, token);
    } catch {
      // Memory only: a reload asks for the token again.
    }
  },
  clear(): void {
    try {
      sessionStorage.removeItem(key);
    } catch {
      // Nothing was stored.
    }
  },
};
