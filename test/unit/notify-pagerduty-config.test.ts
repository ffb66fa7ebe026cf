import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadNotifierSpecs, notifySettingsFromEnv, parseNotifiersFile } from '../../src/notify/config.js';
import { howToConfigure } from '../../src/notify/registry.js';
import { prepareNotify } from '../../src/notify/setup.js';
import { fakeClock } from '../support/fake-clock.js';
import { captureLogs } from '../support/log-capture.js';

const key = 'R0UTINGKEY0123456789abcdefABCDEF';
const enqueue = 'https://events.pagerduty.com/v2/enqueue';

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

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-pd-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('PagerDuty notifiers', () => {
  it('SALVE_PAGERDUTY_ROUTING_KEY (or _FILE) defines `pagerduty`, posting to PagerDuty unless told otherwise', () => {
    expect(loadNotifierSpecs({ pagerdutyRoutingKey: key, pagerdutyUrl: enqueue })).toEqual([
      {
        name: 'pagerduty',
        type: 'pagerduty',
        routingKey: { value: key },
        url: { value: enqueue },
        minSeverity: null,
      },
    ]);
    expect(
      loadNotifierSpecs({
        pagerdutyRoutingKeyFile: '/run/pd/key',
        pagerdutyUrl: 'https://proxy.internal/v2/enqueue',
      }),
    ).toEqual([
      {
        name: 'pagerduty',
        type: 'pagerduty',
        routingKey: { file: '/run/pd/key' },
        url: { value: 'https://proxy.internal/v2/enqueue' },
        minSeverity: null,
      },
    ]);
    // Straight from the environment (salve check): the URL's default holds there too.
    expect(loadNotifierSpecs(notifySettingsFromEnv({ SALVE_PAGERDUTY_ROUTING_KEY: key }))).toEqual([
      expect.objectContaining({ name: 'pagerduty', url: { value: enqueue } }),
    ]);
    expect(loadNotifierSpecs({ pagerdutyUrl: enqueue })).toEqual([]);
  });

  it('names the setting in use when a notifiers file defines `pagerduty` again, and both when it is unset', () => {
    const file = path.join(dir, 'notifiers.yaml');
    fs.writeFileSync(file, 'notifiers:\n  - { name: pagerduty, type: pagerduty, routingKey: { env: K } }\n');
    expect(() => loadNotifierSpecs({ pagerdutyRoutingKeyFile: '/run/pd/key', notifiersFile: file })).toThrow(
      /notifier "pagerduty" is already defined by SALVE_PAGERDUTY_ROUTING_KEY_FILE$/,
    );
    expect(howToConfigure('pagerduty')).toBe(
      'set SALVE_PAGERDUTY_ROUTING_KEY or SALVE_PAGERDUTY_ROUTING_KEY_FILE, or define it in SALVE_NOTIFIERS_FILE',
    );
  });

  it('reads named PagerDuty notifiers: a routing key is required, the URL optional, and nothing else', () => {
    expect(
      parseNotifiersFile(
        'notifiers:\n  - { name: pd-ml, type: pagerduty, routingKey: { env: PD_ML_KEY }, minSeverity: critical }\n',
        'n.yaml',
      ),
    ).toEqual([
      {
        name: 'pd-ml',
        type: 'pagerduty',
        routingKey: { env: 'PD_ML_KEY' },
        url: { value: enqueue },
        minSeverity: 'critical',
      },
    ]);
    expect(
      parseNotifiersFile(
        'notifiers:\n  - { name: pd, type: pagerduty, routingKey: { file: /k }, url: { env: PD_URL } }\n',
        'n.yaml',
      )[0],
    ).toMatchObject({ url: { env: 'PD_URL' } });
    expect(
      problemsOf(() =>
        parseNotifiersFile(
          `notifiers:
  - { name: pd, type: pagerduty }
  - { name: hook, type: webhook, url: { env: A }, routingKey: { env: B } }
  - { name: pd2, type: pagerduty, routingKey: ${key} }
  - { name: pd3, type: pagerduty, routingKey: { env: K }, secret: { env: S } }
  - { name: pd4, type: pagerduty, routingKey: { env: K }, url: https://events.pagerduty.com/v2/enqueue }
`,
          'n.yaml',
        ),
      ),
    ).toEqual([
      expect.stringMatching(/^n\.yaml notifiers\[0\]\.routingKey: /),
      expect.stringMatching(/^n\.yaml notifiers\[1\]: Unrecognized key: "routingKey"/),
      'n.yaml notifiers[2].routingKey: expected { env: NAME } or { file: /path }: the value is a secret, never written here',
      'n.yaml notifiers[3].secret: PagerDuty notifiers sign nothing: the routingKey is their credential',
      'n.yaml notifiers[4].url: expected { env: NAME } or { file: /path }: the value is a secret, never written here',
    ]);
  });

  it('checks every routing key at start, all at once, naming its source and never the key', () => {
    const good = path.join(dir, 'good');
    const short = path.join(dir, 'short');
    const missing = path.join(dir, 'missing');
    fs.writeFileSync(good, `${key}\n`);
    fs.writeFileSync(short, 'not-a-routing-key-at-all\n');
    const notifiersFile = path.join(dir, 'notifiers.yaml');
    const start = (settings: Record<string, unknown>, env: NodeJS.ProcessEnv) => () =>
      prepareNotify({
        settings: { notifiersFile, ...settings },
        env,
        clock: fakeClock(),
        log: captureLogs().log,
      });

    fs.writeFileSync(
      notifiersFile,
      `notifiers:
  - { name: b, type: pagerduty, routingKey: { env: PD_B } }
  - { name: c, type: pagerduty, routingKey: { file: ${good} } }
`,
    );
    expect(start({ pagerdutyRoutingKeyFile: good }, { PD_B: key })).not.toThrow();

    fs.writeFileSync(
      notifiersFile,
      `notifiers:
  - { name: b, type: pagerduty, routingKey: { file: ${short} } }
  - { name: c, type: pagerduty, routingKey: { file: ${missing} } }
  - { name: d, type: pagerduty, routingKey: { env: PD_D } }
  - { name: e, type: pagerduty, routingKey: { env: PD_E } }
`,
    );
    const problems = problemsOf(start({ pagerdutyRoutingKey: 'shortkey' }, { PD_E: `${key.slice(1)} ` }));
    expect(problems).toEqual([
      'SALVE_PAGERDUTY_ROUTING_KEY: the routing key is 8 characters long; an Events API v2 integration key has 32',
      `notifier b: file ${short}: the routing key is 24 characters long; an Events API v2 integration key has 32`,
      `notifier c: file ${missing}: cannot be read`,
      'notifier d: environment variable PD_D: is not set',
      'notifier e: environment variable PD_E: the routing key holds spaces or characters outside printable ASCII',
    ]);
    const text = problems.join('\n');
    for (const secret of ['shortkey', 'not-a-routing-key', key.slice(1)]) expect(text).not.toContain(secret);
  });
});
