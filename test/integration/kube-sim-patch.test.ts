import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyJsonPatch } from '../support/kube-sim/patch/json-patch.js';
import { applyMergePatch } from '../support/kube-sim/patch/merge-patch.js';
import { applyStrategicMergePatch } from '../support/kube-sim/patch/strategic-merge.js';
import { matchesLabels, parseLabelSelector } from '../support/kube-sim/selectors.js';
import { ApiError } from '../support/kube-sim/status.js';

const pod = {
  metadata: { labels: { app: 'a' }, annotations: { keep: '1' } },
  spec: {
    containers: [
      { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }] },
      { name: 'sidecar', image: 'side:1' },
    ],
    tolerations: [{ key: 'x' }],
  },
};

function status(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err.body.code;
    throw err;
  }
  return 200;
}

describe('kube-sim strategic merge patch', () => {
  it('merges containers by name and env by name, keeping the rest', () => {
    const out = applyStrategicMergePatch(pod, {
      spec: { containers: [{ name: 'app', image: 'app:2', env: [{ name: 'B', value: '2' }] }] },
    }) as typeof pod;
    expect(out.spec.containers).toEqual([
      {
        name: 'app',
        image: 'app:2',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      },
      { name: 'sidecar', image: 'side:1' },
    ]);
  });

  it('replaces a map marked $patch: replace, as ControllerRevision data does for templates', () => {
    const out = applyStrategicMergePatch(
      { spec: { template: pod, replicas: 3 } },
      {
        spec: {
          template: {
            $patch: 'replace',
            metadata: { labels: { app: 'b' } },
            spec: { containers: [{ name: 'x', image: 'x:1' }] },
          },
        },
      },
    );
    expect(out).toEqual({
      spec: {
        replicas: 3,
        template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'x', image: 'x:1' }] } },
      },
    });
  });

  it('deletes list items with $patch: delete, keys with null, and honours $retainKeys and $deleteFromPrimitiveList', () => {
    const out = applyStrategicMergePatch(
      { ...pod, metadata: { ...pod.metadata, finalizers: ['a', 'b'] } },
      {
        metadata: {
          annotations: { keep: null },
          '$deleteFromPrimitiveList/finalizers': ['a'],
        },
        spec: {
          containers: [{ name: 'sidecar', $patch: 'delete' }],
          $retainKeys: ['containers'],
          '$setElementOrder/containers': [{ name: 'app' }],
        },
      },
    ) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
    expect(out.metadata.annotations).toEqual({});
    expect(out.metadata.finalizers).toEqual(['b']);
    expect(out.spec).toEqual({ containers: [pod.spec.containers[0]] });
  });

  it('replaces lists without a merge key', () => {
    const out = applyStrategicMergePatch(pod, { spec: { tolerations: [{ key: 'y' }] } }) as typeof pod;
    expect(out.spec.tolerations).toEqual([{ key: 'y' }]);
  });
});

describe('kube-sim JSON patch and merge patch', () => {
  it('applies add, replace, remove, move, copy and test', () => {
    const out = applyJsonPatch({ a: { b: 1 }, list: [1, 2] }, [
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'replace', path: '/a/b', value: 2 },
      { op: 'copy', from: '/a', path: '/c' },
      { op: 'move', from: '/c/b', path: '/d' },
      { op: 'remove', path: '/list/0' },
      { op: 'test', path: '/d', value: 2 },
      { op: 'add', path: '/e~1f', value: true },
    ]);
    expect(out).toEqual({ a: { b: 2 }, list: [2, 3], c: {}, d: 2, 'e/f': true });
  });

  it('answers 422 when the patch does not apply and 400 when it is not a patch', () => {
    expect(status(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]))).toBe(422);
    expect(status(() => applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }]))).toBe(422);
    expect(status(() => applyJsonPatch({ a: 1 }, { op: 'add' }))).toBe(400);
  });

  it('merge patch: objects merge, null deletes, arrays replace (RFC 7386)', () => {
    expect(applyMergePatch({ a: { b: 1, c: 2 }, l: [1] }, { a: { b: null, d: 3 }, l: [2] })).toEqual({
      a: { c: 2, d: 3 },
      l: [2],
    });
  });

  it('a merge patch of a document onto anything yields that document when it has no nulls', () => {
    const doc = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 4 }),
      fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer())),
    );
    fc.assert(
      fc.property(doc, doc, (target, patch) => {
        const out = applyMergePatch(target, patch) as Record<string, unknown>;
        for (const [k, v] of Object.entries(patch)) expect(out[k]).toEqual(v);
        for (const k of Object.keys(target)) if (!(k in patch)) expect(out[k]).toEqual(target[k]);
      }),
    );
  });
});

describe('kube-sim label selectors', () => {
  it('supports equality, inequality, set-based and existence requirements', () => {
    const labels = { app: 'scorer', tier: 'web' };
    const ok = [
      'app=scorer',
      'app==scorer,tier!=db',
      'app in (scorer, other)',
      'tier notin (db)',
      'app',
      '!missing',
      '',
    ];
    const no = ['app=other', 'tier in (db)', 'missing', '!app', 'app=scorer,tier=db'];
    for (const s of ok) expect(matchesLabels(parseLabelSelector(s), labels), s).toBe(true);
    for (const s of no) expect(matchesLabels(parseLabelSelector(s), labels), s).toBe(false);
    expect(status(() => parseLabelSelector('app >< x'))).toBe(400);
  });
});
