// npm run demo: the closed loop on one machine. Alertmanager -> salve -> Kubernetes (the API simulator), a
// firing alert healed by a rollback, the alert resolved, the heal closed and its audit chain verified.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stampPayload } from '../../src/alerts/stamp.js';
import {
  type Alertmanager,
  hasAlertmanager,
  startAlertmanager,
} from '../../test/e2e/support/alertmanager.js';
import {
  firingAlert,
  prepareSalve,
  resolvedAlert,
  salveApi,
  startDemoCluster,
} from '../../test/e2e/support/closed-loop.js';
import { type ChildSalve, freePort, startChildSalve } from '../../test/support/child-salve.js';
import { cleanupStack } from '../../test/support/cleanup.js';
import { watchDeployment } from './cluster-view.js';
import { followHeal } from './follow.js';
import { createStory } from './story.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const demoPolicies = path.join(here, 'policies');
const examplePayload = path.join(here, '../alertmanager/examples/model-error-rate-firing.json');
const resolvedPayload = path.join(here, '../alertmanager/examples/model-error-rate-resolved.json');

const { values: flags } = parseArgs({
  options: { 'no-alertmanager': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
});

async function main(): Promise<number> {
  if (flags.help) {
    process.stdout.write('usage: npm run demo [-- --no-alertmanager]\n');
    return 0;
  }
  const story = createStory(process.stdout);
  const cleanup = cleanupStack();
  let salve: ChildSalve | undefined;
  const started: string[] = [];
  const stop = async (code: number) => {
    await cleanup.run().catch((err: unknown) => story.say('cleanup', `failed: ${String(err)}`));
    story.say('done', `stopped ${started.join(', ') || 'nothing'}; nothing is left running`);
    return code;
  };
  process.once('SIGINT', () => {
    void stop(130).then((code) => process.exit(code));
  });
  process.stdout.write('salve demo: Alertmanager -> salve -> Kubernetes (simulated), all on 127.0.0.1\n\n');
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-demo-'));
    cleanup.defer(() => fs.rmSync(dir, { recursive: true, force: true }));

    const { sim, kubeconfig } = await startDemoCluster(dir, { tickMs: 200, readyPerTick: 1 });
    cleanup.defer(() => sim.close());
    started.push('the simulator');
    const cluster = watchDeployment(sim, 'ml-prod', 'fraud-scorer', (text) => story.say('cluster', text));
    const { initial } = cluster;
    story.say(
      'cluster',
      `kube-sim on ${sim.url}: Deployment ml-prod/fraud-scorer at revision ${initial.revision}, ` +
        `${initial.image}, ${initial.available}/${initial.desired} available`,
    );

    const setup = prepareSalve({ kubeconfig, dir, policiesDir: demoPolicies });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let am: Alertmanager | null = null;
    if (flags['no-alertmanager'] || !hasAlertmanager()) {
      const why = flags['no-alertmanager']
        ? '--no-alertmanager'
        : '/usr/bin/prometheus-alertmanager is absent';
      story.say(
        'alertmgr',
        `not used (${why}): the demo posts the webhook payloads Alertmanager would send itself`,
      );
    } else {
      am = await startAlertmanager({
        receiverUrl: `${url}/v1/alertmanager`,
        token: setup.tokens.alertmanager,
        groupWait: '1s',
        groupInterval: '1s',
        repeatInterval: '1h',
        dir: fs.mkdtempSync(path.join(dir, 'alertmanager-')),
      });
      cleanup.defer(() => am?.stop());
      started.push('Alertmanager');
      story.say('alertmgr', `Alertmanager on ${am.url}, webhook receiver salve -> ${url}/v1/alertmanager`);
    }

    salve = await startChildSalve({ ...setup.env, ...(am ? { SALVE_ALERTMANAGER_URL: am.url } : {}) }, port);
    cleanup.defer(() => salve?.stop());
    started.push('salve');
    story.say('salve', `serving on ${url}, policies from ${path.relative(process.cwd(), demoPolicies)}`);

    const post = async (body: unknown) => {
      const res = await fetch(`${url}/v1/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${setup.tokens.alertmanager}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 202) throw new Error(`salve answered ${res.status}: ${await res.text()}`);
    };
    const firing = firingAlert();
    // The captured example, stamped as Alertmanager would send it now (salve fire does the same).
    const example = stampPayload(
      JSON.parse(fs.readFileSync(examplePayload, 'utf8')),
      new Date(),
      () => undefined,
    );
    const firedAt = story.elapsed();
    if (am) {
      await am.push([firing]);
      story.say(
        'alert',
        'ModelServingErrorRate firing for ml-prod/fraud-scorer, pushed to Alertmanager as Prometheus would',
      );
    } else {
      await post(example);
      story.say(
        'alert',
        `ModelServingErrorRate firing: posted ${path.relative(process.cwd(), examplePayload)} to salve (no Alertmanager)`,
      );
    }

    const api = salveApi(url, setup.tokens.viewer);
    const follow = followHeal({ api, story, cluster, firedAt });
    await follow.until(
      'the rollback and its rollout to be verified',
      (h) => h.phase === 'resolve' || h.phase === 'done',
    );

    if (am) {
      await am.push([resolvedAlert(firing)]);
      story.say('alert', 'the model recovered: resolved the alert in Alertmanager (endsAt in the past)');
    } else {
      const resolved = JSON.parse(fs.readFileSync(resolvedPayload, 'utf8'));
      const startsAt = new Map(example.alerts.map((a) => [a.fingerprint, a.startsAt]));
      await post(stampPayload(resolved, new Date(), (fingerprint) => startsAt.get(fingerprint)));
      story.say('alert', 'the model recovered: posted the resolved payload to salve (no Alertmanager)');
    }
    const heal = await follow.until('the heal to close', (h) => h.phase === 'done');
    if (heal.state !== 'resolved') throw new Error(`the heal closed as ${heal.state}: ${heal.reason}`);

    const verified = await api.verify();
    if (!verified.ok) throw new Error(`audit chain broken: ${JSON.stringify(verified)}`);
    story.say('audit', `chain verified: ${verified.records} records, head ${verified.head?.slice(0, 12)}…`);
    story.say('audit', `trail of ${heal.id}: ${follow.trail()}`);
    return await stop(0);
  } catch (err) {
    story.say('failed', err instanceof Error ? err.message : String(err));
    if (salve) process.stdout.write(`\nsalve's last output:\n${salve.output().slice(-4000)}\n`);
    return await stop(1);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
