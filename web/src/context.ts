import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { WhoAmI } from '../../src/http/api-types.js';
import type { Api } from './api.js';

export type Signed = { api: Api; who: WhoAmI; canOperate: boolean };

export const SignedIn = createContext<Signed | null>(null);

export function useSigned(): Signed {
  const signed = useContext(SignedIn);
  if (!signed) throw new Error('rendered outside a signed-in page');
  return signed;
}
