import { afterEach, describe, expect, it } from 'vitest';
import { builtinActions } from '../../src/actions/registry.js';
import type { AnyAction, TargetRef } from '../../src/actions/types.js';
import { actionFailure, type FakeHttp, httpActionEnv, startFakeHttp } from '../support/fake-webhook.js';

// Every HTTP action, as the registry lists them: a 401 reads "credentials refused" (fix the secret) and a 403
// "lacks permission" (fix the peer's roles), naming where the credential comes from and never its value.

const target: TargetRef = { kind: 'Deployment', namespace: 'ml-prod', name: 'scorer' };
const secret = 'secret-value-that-must-not-leak';
const httpActions = builtinActions.filter((a) => typeof a.example.url === 'string');

/** The action's own example, pointed at the fake, with every credential read from one variable. */
function paramsFor(action: AnyAction, url: string): unknown {
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return value.includes('{{') ? 'fraud' : value;
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      if ('env' in value || 'file' in value) return { env: 'PEER_SECRET' };
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    }
    return value;
  };
  return action.params.parse({ ...(walk(action.example) as object), url });
}

let peer: FakeHttp | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

describe('every HTTP action tells a refused credential from a missing permission', () => {
  it('covers the HTTP actions of the registry: every action that needs no Kubernetes RBAC', () => {
    const outsideKubernetes = builtinActions.filter((a) => a.rbac.length === 0).map((a) => a.kind);
    expect(httpActions.map((a) => a.kind)).toEqual(outsideKubernetes);
    expect(httpActions.map((a) => a.kind)).toContain('mlflow.alias');
  });

  for (const action of httpActions) {
    for (const [status, code, words] of [
      [401, 'SALVE_HTTP_UNAUTHORIZED', 'credentials refused: '],
      [403, 'SALVE_HTTP_FORBIDDEN', 'lacks permission: '],
    ] as const) {
      it(`${action.kind}: HTTP ${status} is ${code}, "${words.trim()}"`, async () => {
        peer = await startFakeHttp(() => ({ status, body: { message: `status ${status}` } }));
        const { context, logs } = httpActionEnv(target, { PEER_SECRET: secret });
        const err = await actionFailure(action.run(context(), paramsFor(action, peer.url)));
        expect(err).toMatchObject({ code, retryable: false });
        expect(err.message).toContain(`HTTP ${status}`);
        expect(err.message).toContain(words);
        expect(err.message).not.toContain(secret);
        expect(logs.text()).not.toContain(secret);
      });
    }
  }
});
