import { describe, expect, it } from 'vitest';
import type { Action, ActionContext, TargetRef } from '../../src/actions/types.js';
import { ActionFailed, errorCatalogue } from '../../src/errors.js';

/** One prepared peer (simulated cluster, fake HTTP service...) holding the action's target. */
export type ContractHarness = {
  /** A context acting on the target for the given heal step (defaults: one fixed heal, step 0, attempt 1). */
  context(heal?: Partial<ActionContext['heal']>): ActionContext;
  /** The target's state as far as the action changes it; compared before and after a repeated run. */
  inspect(): Promise<unknown>;
  /** Requests the peer has received so far: describe() must not add any. */
  requestCount(): number;
  /** Makes the peer fail the action's next run (a 5xx, a refused connection...). */
  injectFailure(): Promise<void> | void;
  /** The `with:` block for this peer (its URL), when it differs from the setup's. */
  params?: Record<string, unknown>;
  close(): Promise<void>;
};

export type ContractSetup<P> = {
  /** What this case is: the action's kind, and its variant when it has several ("on a StatefulSet"). */
  name: string;
  action: Action<P>;
  /** The raw `with:` block; a harness whose peer decides part of it (a URL) gives its own. */
  params: Record<string, unknown>;
  target: TargetRef;
  /** A fresh peer with the target in a state where the action has something to do. */
  start(): Promise<ContractHarness>;
};

async function withHarness<P>(setup: ContractSetup<P>, body: (harness: ContractHarness) => Promise<void>) {
  const harness = await setup.start();
  try {
    await body(harness);
  } finally {
    await harness.close();
  }
}

async function failureOf(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (err) {
    return err;
  }
  throw new Error('expected the run to fail');
}

/**
 * The behaviour every action promises the engine: a valid example, a describe() without I/O, idempotent
 * runs per heal step, and failures that carry a catalogued code and a retryable flag.
 */
export function runActionContract<P>(setup: ContractSetup<P>): void {
  const { action, target } = setup;
  const paramsOf = (harness: ContractHarness) => action.params.parse(harness.params ?? setup.params);

  describe(`${setup.name}: action contract`, () => {
    it('declares a kind, a summary, the target kinds and the RBAC it needs', () => {
      expect(action.kind).toMatch(/^[a-z0-9]+(\.[a-z0-9-]+)+$|^[a-z0-9-]+$/);
      expect(action.summary.length).toBeGreaterThan(10);
      expect(action.targetKinds.length).toBeGreaterThan(0);
      expect(action.targetKinds.includes(target.kind) || action.targetKinds.includes('*')).toBe(true);
      for (const rule of action.rbac) expect(rule.verbs.length).toBeGreaterThan(0);
    });

    it('parses its own example and the contract parameters with its schema', () => {
      expect(action.params.safeParse(action.example).success).toBe(true);
      expect(action.params.safeParse(setup.params).success).toBe(true);
    });

    it('describes what it would do without any I/O', async () => {
      await withHarness(setup, async (harness) => {
        const before = harness.requestCount();
        const text = action.describe(target, paramsOf(harness));
        expect(typeof text).toBe('string');
        expect(text).toMatch(/^would /);
        // The target's namespace, or a cluster-scoped target's name: never `undefined`.
        expect(text).toContain(target.namespace ?? target.name);
        expect(text).not.toContain('undefined');
        expect(harness.requestCount()).toBe(before);
      });
    });

    it('changes the target once per heal step: changed, then unchanged on a retry of the same step', async () => {
      await withHarness(setup, async (harness) => {
        const params = paramsOf(harness);
        const first = await action.run(harness.context({ attempt: 1 }), params);
        expect(first.status).toBe('changed');
        expect(first.detail.length).toBeGreaterThan(0);
        const after = await harness.inspect();
        const second = await action.run(harness.context({ attempt: 2 }), params);
        expect(second.status).toBe('unchanged');
        expect(second.detail.length).toBeGreaterThan(0);
        expect(await harness.inspect()).toEqual(after);
      });
    });

    it('fails as an ActionFailed with a catalogued code and a boolean retryable', async () => {
      await withHarness(setup, async (harness) => {
        await harness.injectFailure();
        const err = await failureOf(action.run(harness.context(), paramsOf(harness)));
        expect(err).toBeInstanceOf(ActionFailed);
        const failure = err as ActionFailed;
        expect(Object.keys(errorCatalogue)).toContain(failure.code);
        expect(typeof failure.retryable).toBe('boolean');
        expect(failure.message.length).toBeGreaterThan(0);
      });
    });

    if (action.rolloutStatus !== undefined) {
      const rolloutStatus = action.rolloutStatus.bind(action);
      it('reports a rollout state after a run', async () => {
        await withHarness(setup, async (harness) => {
          const params = paramsOf(harness);
          await action.run(harness.context(), params);
          const state = await rolloutStatus(harness.context(), params);
          expect(['done', 'waiting', 'failed']).toContain(state.state);
          expect(state.detail.length).toBeGreaterThan(0);
        });
      });
    }
  });
}
