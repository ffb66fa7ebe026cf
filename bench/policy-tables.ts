/**
 * Generated policy files for the match benchmark. `indexed`: every policy pins `alertname`, as most real
 * policies do, so an alert only meets the policies of its own alertname. `scan`: no policy names an
 * alertname (they select on a `service` regex), so every alert is checked against every policy: the worst case.
 */
export type TableShape = 'indexed' | 'scan';

const pad = (i: number) => String(i).padStart(5, '0');

export const benchAlertname = (i: number) => `BenchAlert${pad(i)}`;
export const benchService = (i: number) => `svc-${pad(i)}`;

function policyYaml(i: number, shape: TableShape): string {
  const selector =
    shape === 'indexed' ? `- alertname="${benchAlertname(i)}"` : `- service=~"${benchService(i)}(-canary)?"`;
  return `  - name: bench-policy-${pad(i)}
    description: Generated policy ${i} for the match benchmark
    match:
      ${selector}
      - severity=~"critical|page"
    target:
      kind: Deployment
      namespace: "{{ labels.namespace }}"
      name: "{{ labels.deployment }}"
    allow: { namespaces: [ml-prod, ml-staging] }
    steps:
      - action: k8s.restart
        verify: { rollout: 5m, resolved: 10m }
      - action: k8s.rollback
        verify: { rollout: 5m, resolved: 15m }
      - action: retrain.cronjob
        with: { cronJob: "retrain-{{ labels.model }}" }
    guards: { cooldown: 30m, maxPerTarget: "3/1h" }
`;
}

export function policyTableYaml(size: number, shape: TableShape): string {
  const parts = ['apiVersion: salve/v1\npolicies:\n'];
  for (let i = 0; i < size; i++) parts.push(policyYaml(i, shape));
  return parts.join('');
}
