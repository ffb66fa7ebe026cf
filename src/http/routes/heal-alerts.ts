import type { FastifyInstance } from 'fastify';
import { SalveError } from '../../errors.js';
import type { AttachedAlert, AttachedAlerts } from '../api-types.js';
import type { AppDeps } from '../app-deps.js';

/** At most this many alerts are described per heal; the rest are counted. */
export const attachedAlertsShown = 200;
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
      // The heal's attachments name alerts by (fingerprint, startsAt); their text lives with the alert, which
      // the same commit stored: one index lookup each. The firing row (what opened or joined the heal) wins
      // over the resolution of the same start.
      const stored = await store.alertsByStart(shown);
      const byStart = new Map<string, (typeof stored)[number]>();
      for (const a of stored) {
        const key = `${a.fingerprint}/${a.startsAt}`;
        if (!byStart.has(key) || a.status === 'firing') byStart.set(key, a);
      }
      const alerts: AttachedAlert[] = shown.map((a) => {
        const full = byStart.get(`${a.fingerprint}/${a.startsAt}`);
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
