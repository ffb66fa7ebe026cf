import { describe, expect, it } from 'vitest';
import { createActionRegistry } from '../../src/actions/registry.js';
import { loadPolicyText } from '../../src/policy/loader.js';

const policy = (withBlock: string) => `apiVersion: salve/v1
policies:
  - name: notify-owner
    match: [alertname="ModelAccuracyDrop"]
    target: { kind: Deployment, namespace: ml-prod, name: "{{ labels.deployment }}" }
    steps:
      - action: webhook
        with: ${withBlock}
`;

describe('parameters an alert may not fill', () => {
  const registry = createActionRegistry();

  it('refuses a templated URL: an alert must not choose where salve sends a request', () => {
    const { table, problems } = loadPolicyText(
      'policies/p.yaml',
      policy('{ url: "https://{{ labels.host }}/hook", token: { env: HOOK_TOKEN } }'),
      registry,
    );
    expect(table).toBeNull();
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'policies[0].steps[0].with.url',
        message: expect.stringMatching(/must be written in the policy/),
      }),
    ]);
  });

  it('refuses a templated credential reference', () => {
    const { problems } = loadPolicyText(
      'policies/p.yaml',
      policy('{ url: "https://hooks.example/heal", token: { env: "{{ labels.secret }}" } }'),
      registry,
    );
    expect(problems.map((p) => p.path)).toEqual(['policies[0].steps[0].with.token']);
  });

  it('accepts templates in the body, which carries data, not destinations', () => {
    const { table, problems } = loadPolicyText(
      'policies/p.yaml',
      policy('{ url: "https://hooks.example/heal", body: { model: "{{ labels.model }}" } }'),
      registry,
    );
    expect(problems).toEqual([]);
    expect(table?.policies).toHaveLength(1);
  });
});
