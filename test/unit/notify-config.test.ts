import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NotificationEvent } from '../../src/domain/notification.js';
import { loadNotifierSpecs, parseNotifiersFile } from '../../src/notify/config.js';
import { exampleEvents } from '../../src/notify/examples.js';
import { passesSeverity } from '../../src/notify/severity.js';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    return ((err as { details?: { problems?: string[] } }).details?.problems ?? [
      (err as Error).message,
    ]) as string[];
  }
  throw new Error('expected a configuration error');
};

describe('notifier configuration', () => {
  it('reads named Slack and webhook notifiers with their sources and minimum severity', () => {
    const specs = parseNotifiersFile(
      `notifiers:
  - name: slack-ml-oncall
    type: slack
    url: { env: SLACK_ML_ONCALL_URL }
    minSeverity: critical
  - name: incident-bridge
    type: webhook
    url: { file: /etc/salve/bridge-url }
    secret: { env: BRIDGE_SECRET }
`,
      'notifiers.yaml',
    );
    expect(specs).toEqual([
      {
        name: 'slack-ml-oncall',
        type: 'slack',
        url: { env: 'SLACK_ML_ONCALL_URL' },
        minSeverity: 'critical',
      },
      {
        name: 'incident-bridge',
        type: 'webhook',
        url: { file: '/etc/salve/bridge-url' },
        secret: { env: 'BRIDGE_SECRET' },
        minSeverity: null,
      },
    ]);
  });

  it('reports every problem at once with its path, and never accepts a URL written in the file', () => {
    const problems = problemsOf(() =>
      parseNotifiersFile(
        `notifiers:
  - name: Bad_Name
    type: slack
    url: https://hooks.slack.com/services/T/B/secret
  - name: pager
    type: email
    url: { env: X }
  - name: chat
    type: slack
    url: { env: CHAT_URL }
    secret: { env: CHAT_SECRET }
    minSeverity: urgent
`,
        'notifiers.yaml',
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^notifiers\.yaml notifiers\[0\]\.name: expected a DNS-label/),
        expect.stringMatching(/^notifiers\.yaml notifiers\[0\]\.url: expected \{ env: NAME \} or \{ file/),
        expect.stringMatching(/^notifiers\.yaml notifiers\[1\]\.type:/),
        expect.stringMatching(/^notifiers\.yaml notifiers\[2\]\.minSeverity:/),
      ]),
    );
    expect(problems.join('\n')).not.toContain('hooks.slack.com');
  });

  it('refuses a name defined twice, and a signing secret on a Slack notifier', () => {
    expect(
      problemsOf(() =>
        parseNotifiersFile(
          `notifiers:
  - { name: a, type: webhook, url: { env: A } }
  - { name: a, type: webhook, url: { env: B } }
`,
          'n.yaml',
        ),
      ),
    ).toEqual(['n.yaml notifiers[1].name: "a" is defined twice']);
    expect(
      problemsOf(() =>
        parseNotifiersFile(
          'notifiers:\n  - { name: s, type: slack, url: { env: A }, secret: { env: B } }\n',
          'n.yaml',
        ),
      ),
    ).toEqual([expect.stringMatching(/^n\.yaml notifiers\[0\]\.secret: Slack notifiers sign nothing/)]);
  });

  it('SALVE_SLACK_WEBHOOK_URL defines `slack`, and a file may not define it again', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-notifiers-'));
    try {
      const file = path.join(dir, 'notifiers.yaml');
      fs.writeFileSync(file, 'notifiers:\n  - { name: slack, type: slack, url: { env: OTHER } }\n');
      expect(loadNotifierSpecs({ slackWebhookUrl: 'https://hooks.example/x' })).toEqual([
        {
          name: 'slack',
          type: 'slack',
          url: { value: 'https://hooks.example/x' },
          minSeverity: null,
        },
      ]);
      expect(() =>
        loadNotifierSpecs({ slackWebhookUrl: 'https://hooks.example/x', notifiersFile: file }),
      ).toThrow(/notifier "slack" is already defined by SALVE_SLACK_WEBHOOK_URL/);
      expect(() => loadNotifierSpecs({ notifiersFile: path.join(dir, 'missing.yaml') })).toThrow(
        /cannot be read/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('minimum severity', () => {
  const opened = exampleEvents.find((e) => e.event.kind === 'heal.opened')!.event;
  const withSeverity = (severity: string | null, kind: NotificationEvent['kind'] = 'heal.opened') => ({
    ...opened,
    kind,
    alert: { ...opened.alert!, severity },
  });

  it('orders info < warning < critical < page', () => {
    expect(passesSeverity(withSeverity('warning'), 'critical')).toBe(false);
    expect(passesSeverity(withSeverity('critical'), 'critical')).toBe(true);
    expect(passesSeverity(withSeverity('page'), 'critical')).toBe(true);
    expect(passesSeverity(withSeverity('info'), 'warning')).toBe(false);
    expect(passesSeverity(withSeverity('WARNING'), 'warning')).toBe(true);
  });

  it('lets approvals, unknown severities and manual heals through: a filtered message is a lost one', () => {
    expect(passesSeverity(withSeverity('info', 'approval.requested'), 'page')).toBe(true);
    expect(passesSeverity(withSeverity('high'), 'page')).toBe(true);
    expect(passesSeverity({ ...opened, alert: null }, 'page')).toBe(true);
    expect(passesSeverity(withSeverity('info'), null)).toBe(true);
  });
});
