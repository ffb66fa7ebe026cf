import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ChildSalve, freePort, startChildSalve } from '../../support/child-salve.js';
import type { Cleanup } from '../../support/cleanup.js';
import type { KubeSim } from '../../support/kube-sim/index.js';
import { type Alertmanager, type AlertmanagerOptions, startAlertmanager } from './alertmanager.js';
import { prepareSalve, type SalveApi, type SalveSetup, salveApi, startDemoCluster } from './closed-loop.js';

export type Loop = {
  sim: KubeSim;
  setup: SalveSetup;
  /** salve's address, known before salve runs (Alertmanager can be pointed at it while it is down). */
  url: string;
  port: number;
  salve: ChildSalve | null;
  startSalve(): Promise<ChildSalve>;
  api(): SalveApi;
  startAlertmanager(options?: Partial<AlertmanagerOptions>): Promise<Alertmanager>;
};

/**
 * Alertmanager -> salve (a child process) -> the Kubernetes simulator, each on its own loopback port.
 * Everything started is registered with `cleanup`, so a failing test still stops it all.
 */
export async function createLoop(cleanup: Cleanup, opts: { startSalve?: boolean } = {}): Promise<Loop> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-e2e-'));
  cleanup.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
  const { sim, kubeconfig } = await startDemoCluster(dir);
  cleanup.defer(() => sim.close());
  const setup = prepareSalve({ kubeconfig, dir });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const loop: Loop = {
    sim,
    setup,
    url,
    port,
    salve: null,
    async startSalve() {
      const child = await startChildSalve(setup.env, port);
      cleanup.defer(() => child.stop());
      loop.salve = child;
      return child;
    },
    api: () => salveApi(url, setup.tokens.viewer),
    async startAlertmanager(options = {}) {
      const am = await startAlertmanager({
        receiverUrl: `${url}/v1/alertmanager`,
        token: setup.tokens.alertmanager,
        dir: fs.mkdtempSync(path.join(dir, 'alertmanager-')),
        ...options,
      });
      cleanup.defer(() => am.stop());
      return am;
    },
  };
  if (opts.startSalve !== false) await loop.startSalve();
  return loop;
}
