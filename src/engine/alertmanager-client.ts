import axios, { type AxiosInstance } from 'axios';

/** Asks Alertmanager which of a heal's alerts still fire: its API lists active alerts. */
export type AlertmanagerClient = {
  /** Fingerprints among `fingerprints` that Alertmanager still has as active (not resolved, not silenced). */
  stillFiring(fingerprints: readonly string[]): Promise<Set<string>>;
};

export function createAlertmanagerClient(baseUrl: string, http?: AxiosInstance): AlertmanagerClient {
  const client = http ?? axios.create({ baseURL: baseUrl.replace(/\/$/, ''), timeout: 5_000 });
  return {
    async stillFiring(fingerprints) {
      const res = await client.get<Array<{ fingerprint: string; status?: { state?: string } }>>(
        '/api/v2/alerts',
        {
          params: { active: true, silenced: false, inhibited: true, unprocessed: true },
        },
      );
      const wanted = new Set(fingerprints);
      return new Set(res.data.filter((a) => wanted.has(a.fingerprint)).map((a) => a.fingerprint));
    },
  };
}
