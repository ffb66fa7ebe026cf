import { useEffect, useState } from 'preact/hooks';

/** Hash routes: the page is one document at /, and nothing after # ever reaches a server or a referrer. */
export type Route =
  | { view: 'heals'; query: URLSearchParams }
  | { view: 'heal'; id: string }
  | { view: 'pause' }
  | { view: 'audit'; query: URLSearchParams }
  | { view: 'policies' }
  | { view: 'stats'; query: URLSearchParams }
  | { view: 'replay' }
  | { view: 'not-found'; path: string };

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/heals';
  const mark = raw.indexOf('?');
  const path = mark < 0 ? raw : raw.slice(0, mark);
  const query = new URLSearchParams(mark < 0 ? '' : raw.slice(mark + 1));
  let parts: string[];
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return { view: 'not-found', path };
  }
  const [first, second, ...rest] = parts;
  if (rest.length > 0) return { view: 'not-found', path };
  if (first === 'heals' && second) return { view: 'heal', id: second };
  if (second) return { view: 'not-found', path };
  if (first === 'heals') return { view: 'heals', query };
  if (first === 'pause') return { view: 'pause' };
  if (first === 'audit') return { view: 'audit', query };
  if (first === 'policies') return { view: 'policies' };
  if (first === 'stats') return { view: 'stats', query };
  if (first === 'replay') return { view: 'replay' };
  return { view: 'not-found', path };
}

/** `#/heals?state=open`, from the values that are set. */
export function href(path: string, params: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) search.set(k, v);
  const s = search.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export const healHref = (id: string) => `#/heals/${encodeURIComponent(id)}`;

export function navigate(to: string): void {
  window.location.hash = to.replace(/^#/, '');
}

export function useRoute(): { route: Route; key: string } {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return { route: parseHash(hash), key: hash };
}
