import type { FastifyInstance } from 'fastify';
import { SalveError } from '../../errors.js';
import type { AttachedAlert, AttachedAlerts } from '../api-types.js';
import type { AppDeps } from '../app-deps.js';

/** At most this many alerts are described per heal; the rest are counted. */
export const attachedAlertsShown = 200;
/** Identities read per fingerprint (one per firing and per resolution). */
const identitiesPerFingerprint = 1000;

export function healAlertRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { store } = deps;
  app.get(
    '/v1/heals/:id/alerts',
    {
      config: { scope: 'viewer' },
      schema: {
        summary: 'The alerts attached to a heal, with their labels and annotations',
        description: `At most ${attachedAlertsShown} alerts, most recently attached first; \`more\` counts the rest.`,
        tags: ['heals'],
      },
    },
    async (request): Promise<AttachedAlerts> => {
      const { id } = request.params as { id: string };
      const heal = await store.getHeal(id);
      if (!heal) throw new SalveError('SALVE_HEAL_NOT_FOUND', `no heal ${id}`);
      const attached = (await store.healAlerts(id)).sort((a, b) => b.attachedAt.localeCompare(a.attachedAt));
      const shown = attached.slice(0, attachedAlertsShown);
      // The heal's attachments name alerts by (fingerprint, startsAt); their text lives with the alert.
      const fingerprints = [...new Set(shown.map((a) => a.fingerprint))];
      const stored = (
        await Promise.all(
          fingerprints.map((fingerprint) =>
            store.listAlerts({ fingerprint, limit: identitiesPerFingerprint }),
          ),
        )
      ).flat();
      // The firing identity (what opened or joined the heal) wins over its resolution; an alert that flapped
      // more often than we read falls back to another identity of its fingerprint, which has the same labels
      // (Alertmanager's fingerprint is a hash of the label set).
      const byIdentity = new Map<string, (typeof stored)[number]>();
      const byFingerprint = new Map<string, (typeof stored)[number]>();
      for (const a of stored) {
        const key = `${a.fingerprint}/${a.startsAt}`;
        if (!byIdentity.has(key) || a.status === 'firing') byIdentity.set(key, a);
        byFingerprint.set(a.fingerprint, a);
      }
      const alerts: AttachedAlert[] = shown.map((a) => {
        const full = byIdentity.get(`${a.fingerprint}/${a.startsAt}`) ?? byFingerprint.get(a.fingerprint);
        return {
          ...a,
          labels: full?.labels ?? {},
          annotations: full?.annotations ?? {},
          generatorURL: full?.generatorURL ?? '',
          endsAt: full?.endsAt ?? null,
          receivedAt: full?.receivedAt ?? null,
        };
      });
      return { alerts, more: attached.length - shown.length };
    },
  );
}
