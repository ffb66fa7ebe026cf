import * as crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { parseTokensFile, type TokenIdentity } from '../../src/config/tokens.js';
import { createAuthenticator } from '../../src/http/auth.js';

// Every comparison of a presented secret goes through timingSafeEqual: spied on, never replaced.
vi.mock('node:crypto', async (original) => {
  const actual = await original<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});
const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);

const file = (entries: string) => parseTokensFile('tokens.yaml', entries);
const both = file(`
- { name: am, scopes: [alertmanager], token: am-secret-0123456789 }
- { name: ops, scopes: [operator], token: ops-secret-0123456789 }
`);
const opsOnly = file('- { name: ops, scopes: [operator], token: ops-secret-0123456789 }');
const rotated = file('- { name: am, scopes: [alertmanager], token: am-rotated-0123456789 }');
const AM = 'Bearer am-secret-0123456789';

/** An authenticator whose tokens in force are `current`, as a reload (followTokensFile) hands them. */
function reloadable(initial: readonly TokenIdentity[]) {
  let current = initial;
  return {
    auth: createAuthenticator(() => current),
    reload(next: readonly TokenIdentity[]) {
      current = next;
    },
  };
}

beforeEach(() => {
  timingSafeEqual.mockClear();
});

describe('a connection that presents the header it was accepted with', () => {
  it('is accepted again without the digest, and its scope is still checked on every request', () => {
    const { auth } = reloadable(both);
    const connection = {};
    expect(auth.authenticate(AM, 'alertmanager', connection).name).toBe('am');
    expect(auth.authenticate(AM, 'alertmanager', connection).name).toBe('am');
    expect(() => auth.authenticate(AM, 'operator', connection)).toThrow(
      expect.objectContaining({ code: 'SALVE_AUTH_FORBIDDEN' }),
    );
  });

  it('compares the header in constant time, also when its length differs', () => {
    const { auth } = reloadable(both);
    const connection = {};
    auth.authenticate(AM, 'alertmanager', connection);
    timingSafeEqual.mockClear();
    auth.authenticate(AM, 'alertmanager', connection);
    // One compare, of the header's bytes with the accepted header's: no digest, no entry compared.
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
    expect(Buffer.from(timingSafeEqual.mock.calls[0]![0] as Uint8Array).toString()).toBe(AM);
    timingSafeEqual.mockClear();
    expect(() => auth.authenticate(`${AM}0`, 'alertmanager', connection)).toThrow(
      expect.objectContaining({ code: 'SALVE_AUTH_INVALID' }),
    );
    // The longer guess: compared with itself (same cost), then checked in full against both entries.
    expect(timingSafeEqual).toHaveBeenCalledTimes(3);
  });

  it('a refused token is never remembered, and forgets what the connection was accepted with', () => {
    const { auth } = reloadable(both);
    const connection = {};
    for (let i = 0; i < 3; i++) {
      expect(() => auth.authenticate('Bearer am-secret-012345678X', 'alertmanager', connection)).toThrow(
        expect.objectContaining({ code: 'SALVE_AUTH_INVALID' }),
      );
    }
    expect(auth.authenticate(AM, 'alertmanager', connection).name).toBe('am');
    expect(() => auth.authenticate('Bearer nope', 'alertmanager', connection)).toThrow(
      expect.objectContaining({ code: 'SALVE_AUTH_INVALID' }),
    );
    timingSafeEqual.mockClear();
    // Checked in full again: the digest against both entries.
    expect(auth.authenticate(AM, 'alertmanager', connection).name).toBe('am');
    expect(timingSafeEqual).toHaveBeenCalledTimes(2);
  });

  it('is refused at once when a reload revokes or rotates its token', () => {
    const { auth, reload } = reloadable(both);
    const connection = {};
    expect(auth.authenticate(AM, 'alertmanager', connection).name).toBe('am');
    reload(opsOnly);
    expect(() => auth.authenticate(AM, 'alertmanager', connection)).toThrow(
      expect.objectContaining({ code: 'SALVE_AUTH_INVALID' }),
    );
    reload(rotated);
    expect(() => auth.authenticate(AM, 'alertmanager', connection)).toThrow(
      expect.objectContaining({ code: 'SALVE_AUTH_INVALID' }),
    );
    expect(auth.authenticate('Bearer am-rotated-0123456789', 'alertmanager', connection).name).toBe('am');
  });

  it('is remembered for its own connection only', () => {
    const { auth } = reloadable(both);
    const first = {};
    auth.authenticate(AM, 'alertmanager', first);
    expect(() => auth.authenticate('Bearer nope', 'alertmanager', {})).toThrow(
      expect.objectContaining({ code: 'SALVE_AUTH_INVALID' }),
    );
    expect(auth.authenticate(AM, 'alertmanager', first).name).toBe('am');
  });
});
