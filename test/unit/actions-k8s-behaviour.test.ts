import { describe, expect, it } from 'vitest';
import { describeAction } from '../../src/actions/describe.js';
import { retryOnConflict } from '../../src/actions/k8s/conflict.js';
import { buildEvent, eventName, microTime, recordEvent } from '../../src/actions/k8s/events.js';
import { rfc3339Seconds } from '../../src/actions/k8s-restart/action.js';
import { desiredReplicas, k8sScale } from '../../src/actions/k8s-scale/action.js';
import { scaleParams } from '../../src/actions/k8s-scale/params.js';
import { builtinActions } from '../../src/actions/registry.js';
import { createActionRuntime } from '../../src/actions/runtime.js';
import type { ActionContext } from '../../src/actions/types.js';
import { ActionFailed } from '../../src/errors.js';
import { createUnconfiguredKubeClient } from '../../src/kube/unconfigured.js';
import { fakeClock } from '../support/fake-clock.js';
import { captureLogs } from '../support/log-capture.js';

const target = { kind: 'Deployment', namespace: 'ml-prod', name: 'scorer' };

function context(
  overrides: Partial<ActionContext> = {},
): ActionContext & { logs: ReturnType<typeof captureLogs> } {
  const logs = captureLogs();
  return {
    heal: { id: 'heal-1', policy: 'scorer-error-rate', step: 1, markStep: 1, attempt: 1 },
    target,
    kube: createUnconfiguredKubeClient('test'),
    ...createActionRuntime({}, fakeClock('2026-11-27T03:00:00.123Z')),
    clock: fakeClock('2026-11-27T03:00:00.123Z'),
    log: logs.log,
    logs,
    ...overrides,
  };
}

describe('Kubernetes Events salve records', () => {
  it('formats eventTime as a MicroTime with six fractional digits', () => {
    expect(microTime(new Date('2026-11-27T03:00:00.123Z'))).toBe('2026-11-27T03:00:00.123000Z');
  });

  it('names events <regarding>.<16 hex digits> like client-go, the same name for every run of one heal step', () => {
    const name = eventName('scorer', { id: 'heal-1', markStep: 1 });
    expect(name).toMatch(/^scorer\.[0-9a-f]{16}$/);
    expect(eventName('scorer', { id: 'heal-1', markStep: 1 })).toBe(name);
    expect(eventName('scorer', { id: 'heal-1', markStep: 2 })).not.toBe(name);
    expect(eventName('scorer', { id: 'heal-2', markStep: 1 })).not.toBe(name);
  });

  it('fills the required fields and caps the note at 1024 characters', () => {
    const regarding = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'scorer',
      namespace: 'ml-prod',
      uid: 'u1',
    };
    const event = buildEvent(context(), {
      regarding,
      action: 'Scale',
      reason: 'Scaled',
      note: 'x'.repeat(2000),
    });
    expect(event).toMatchObject({
      metadata: { namespace: 'ml-prod' },
      eventTime: '2026-11-27T03:00:00.123000Z',
      type: 'Normal',
      reportingController: 'salve.dev/salve',
      action: 'Scale',
      reason: 'Scaled',
      regarding,
    });
    expect(event.note.startsWith('salve heal heal-1 (policy scorer-error-rate, step 1): x')).toBe(true);
    expect(event.note.length).toBe(1024);
    expect(event.reportingInstance.length).toBeGreaterThan(0);
    expect(event.reportingInstance.length).toBeLessThanOrEqual(128);
  });

  it('logs a failure to record the event and does not throw', async () => {
    const ctx = context();
    const regarding = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'scorer', namespace: 'ml-prod' };
    await expect(
      recordEvent(ctx, { regarding, action: 'Scale', reason: 'Scaled', note: 'n' }),
    ).resolves.toBeUndefined();
    const line = ctx.logs.lines().find((l) => l.msg === 'kubernetes event not recorded');
    expect(line).toMatchObject({ level: 40, heal: 'heal-1' });
  });
});

describe('conflict retries', () => {
  const conflict = () =>
    new ActionFailed('SALVE_KUBE_CONFLICT', 'stale', {
      retryable: true,
      details: { httpStatus: 409, reason: 'Conflict' },
    });

  it('re-runs the attempt after a 409 Conflict and returns its result', async () => {
    let calls = 0;
    const result = await retryOnConflict(async () => {
      calls += 1;
      if (calls < 3) throw conflict();
      return 'done';
    });
    expect([result, calls]).toEqual(['done', 3]);
  });

  it('gives up after three attempts with the conflict still retryable', async () => {
    let calls = 0;
    const attempt = retryOnConflict(async () => {
      calls += 1;
      throw conflict();
    });
    await expect(attempt).rejects.toMatchObject({ code: 'SALVE_KUBE_CONFLICT', retryable: true });
    expect(calls).toBe(3);
  });

  it('does not retry AlreadyExists or other failures', async () => {
    let calls = 0;
    const attempt = retryOnConflict(async () => {
      calls += 1;
      throw new ActionFailed('SALVE_KUBE_CONFLICT', 'exists', { details: { reason: 'AlreadyExists' } });
    });
    await expect(attempt).rejects.toMatchObject({ retryable: false });
    expect(calls).toBe(1);
  });
});

describe('k8s.scale parameters', () => {
  it('accepts an absolute count or a relative step with bounds, and nothing else', () => {
    expect(scaleParams.safeParse({ replicas: 3 }).success).toBe(true);
    expect(scaleParams.safeParse({ by: -1, min: 1 }).success).toBe(true);
    expect(scaleParams.safeParse({ by: 0 }).success).toBe(false);
    expect(scaleParams.safeParse({ by: 1, min: 5, max: 2 }).success).toBe(false);
    expect(scaleParams.safeParse({ replicas: 3, by: 1 }).success).toBe(false);
    expect(scaleParams.safeParse({ replicas: -1 }).success).toBe(false);
  });

  it('clamps a relative step to its bounds', () => {
    expect(desiredReplicas(3, { replicas: 7 })).toBe(7);
    expect(desiredReplicas(3, { by: 2 })).toBe(5);
    expect(desiredReplicas(9, { by: 2, max: 10 })).toBe(10);
    expect(desiredReplicas(2, { by: -3, min: 1 })).toBe(1);
    expect(desiredReplicas(1, { by: -3 })).toBe(0);
  });

  it('describes what it would do', () => {
    expect(k8sScale.describe(target, { by: 2, max: 10 })).toBe(
      'would scale Deployment ml-prod/scorer by +2 replicas (at most 10)',
    );
    expect(k8sScale.describe(target, { replicas: 0 })).toBe(
      'would scale Deployment ml-prod/scorer to 0 replicas',
    );
  });
});

describe('restart timestamps', () => {
  it('are RFC 3339 with second precision', () => {
    expect(rfc3339Seconds(new Date('2026-11-27T03:00:00.999Z'))).toBe('2026-11-27T03:00:00Z');
  });
});

describe('describeAction', () => {
  it('describes every built-in action with a JSON Schema its example satisfies', () => {
    for (const action of builtinActions) {
      const description = describeAction(action);
      expect(description.kind).toBe(action.kind);
      expect(description.parameters.$schema).toContain('json-schema.org');
      expect(action.params.safeParse(description.example).success, action.kind).toBe(true);
      // Actions on Kubernetes objects say which permissions they need; HTTP actions (a `url`) need none.
      expect(description.rbac.length > 0, action.kind).toBe(typeof action.example.url !== 'string');
      expect(JSON.parse(JSON.stringify(description))).toEqual(description);
    }
  });

  it('says in the schema that unknown parameters are refused', () => {
    const rollback = builtinActions.find((action) => action.kind === 'k8s.rollback');
    expect(rollback && describeAction(rollback).parameters).toMatchObject({
      type: 'object',
      additionalProperties: false,
      properties: { toRevision: { type: 'integer' } },
    });
  });
});

describe('actions against an unconfigured cluster', () => {
  it('fail as SALVE_KUBE_NOT_CONFIGURED, not retryable', async () => {
    for (const action of builtinActions.filter((a) => a.rbac.length > 0)) {
      const params = action.params.parse(action.example);
      // A cluster-scoped action gets a target of its scope: a Node has no namespace.
      const ctx = action.targetKinds.includes('Node')
        ? context({ target: { kind: 'Node', name: 'worker-1' } })
        : context();
      await expect(action.run(ctx, params), action.kind).rejects.toMatchObject({
        code: 'SALVE_KUBE_NOT_CONFIGURED',
        retryable: false,
      });
    }
  });

  it('refuse target kinds they do not support as a rejected promise', async () => {
    const ctx = context({ target: { kind: 'DaemonSet', namespace: 'ml-prod', name: 'agent' } });
    await expect(k8sScale.run(ctx, { replicas: 1 })).rejects.toMatchObject({ code: 'SALVE_ACTION_REFUSED' });
  });
});
