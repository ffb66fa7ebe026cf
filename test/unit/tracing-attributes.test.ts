import * as stable from '@opentelemetry/semantic-conventions';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';
import { describe, expect, it } from 'vitest';
import {
  k8sNameAttribute,
  salveAttr,
  semconv,
  targetAttributes,
} from '../../src/observability/trace-attributes.js';

// The names are copied, not imported: the incubating entry point is large, and salve loads none of it at run
// time. This test is what keeps the copies true.
const known = new Set(
  [...Object.entries(stable), ...Object.entries(incubating)]
    .filter(([name, value]) => name.startsWith('ATTR_') && typeof value === 'string')
    .map(([, value]) => value as string),
);

describe('span attribute names', () => {
  it('are the semantic conventions’ own where salve claims them', () => {
    const claimed = [...Object.values(semconv), ...Object.values(k8sNameAttribute)];
    expect(claimed.filter((name) => !known.has(name))).toEqual([]);
  });

  it("are salve's own under salve.*, and none of them shadows a convention", () => {
    for (const name of Object.values(salveAttr)) {
      expect(name).toMatch(/^salve\.[a-z_.]+$/);
      expect(known.has(name)).toBe(false);
    }
  });

  it('name a target by namespace and, for the kinds that have one, its kind’s attribute', () => {
    expect(targetAttributes({ kind: 'Deployment', namespace: 'ml-prod', name: 'scorer' })).toEqual({
      'k8s.namespace.name': 'ml-prod',
      'k8s.deployment.name': 'scorer',
      'salve.target': 'Deployment/ml-prod/scorer',
    });
    expect(targetAttributes({ kind: 'StatefulSet', namespace: 'ml', name: 'db' })).toMatchObject({
      'k8s.statefulset.name': 'db',
    });
    expect(targetAttributes({ kind: 'InferenceService', namespace: 'ml', name: 'x' })).toEqual({
      'k8s.namespace.name': 'ml',
      'salve.target': 'InferenceService/ml/x',
    });
  });
});
