import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { notEnded, stampPayload } from '../../src/alerts/stamp.js';
import { SalveError } from '../../src/errors.js';
import { runCli } from '../support/run-cli.js';

const firing = JSON.parse(
  fs.readFileSync('deploy/alertmanager/examples/model-error-rate-firing.json', 'utf8'),
);
const resolved = JSON.parse(
  fs.readFileSync('deploy/alertmanager/examples/model-error-rate-resolved.json', 'utf8'),
);
const now = new Date('2026-12-01T10:00:00.000Z');

describe('stamping a captured payload as Alertmanager would send it now', () => {
  it('starts firing alerts now, so a second send is a new incident, not a deduplicated re-send', () => {
    const stamped = stampPayload(firing, now, () => undefined);
    expect(stamped.alerts[0]).toMatchObject({
      startsAt: now.toISOString(),
      endsAt: notEnded,
      status: 'firing',
    });
    expect(stamped.alerts[0]?.fingerprint).toBe(firing.alerts[0].fingerprint);
  });

  it('keeps the start of the firing alert a resolution resolves, and ends it now', () => {
    const started = '2026-12-01T09:55:00.000Z';
    const stamped = stampPayload(resolved, now, (fp) =>
      fp === resolved.alerts[0].fingerprint ? started : undefined,
    );
    expect(stamped.alerts[0]).toMatchObject({
      startsAt: started,
      endsAt: now.toISOString(),
      status: 'resolved',
    });
  });

  it('refuses a resolution of an alert salve never received firing, saying what to do', () => {
    expect(() => stampPayload(resolved, now, () => undefined)).toThrow(SalveError);
    expect(() => stampPayload(resolved, now, () => undefined)).toThrow(/fire the firing one first/);
  });

  it('salve fire names the examples it knows when given neither a file nor an example', async () => {
    const res = await runCli(['fire', 'no-such-example'], { SALVE_SERVER: 'http://127.0.0.1:9' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      'no-such-example: no such file, and no example of that name (examples: model-error-rate-firing, model-error-rate-resolved)',
    );
  });
});
