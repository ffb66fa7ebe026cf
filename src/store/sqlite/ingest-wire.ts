import type { IngestInput } from '../types.js';

/**
 * A delivery as it crosses to the writer thread. Structured clone rebuilds every object in the receiving thread,
 * and labels and annotations are most of a delivery's objects; as the JSON text the store keeps they cross as
 * strings (copied, not rebuilt), and the writer thread no longer serialises them. Of the labels, the writes read
 * only `alertname` (the alert's reference in heals and records: src/store/records.ts), which crosses as it is.
 * Made on the event loop, which has time to spare while the writer thread is the one that limits ingestion.
 */
export function ingestForWriter(input: IngestInput): IngestInput {
  return {
    ...input,
    alerts: input.alerts.map(({ alert, outcomes }) => {
      const { alertname } = alert.labels;
      const labels: Record<string, string> = alertname === undefined ? {} : { alertname };
      return {
        alert: { ...alert, labels, annotations: {} },
        outcomes,
        stored: { labels: JSON.stringify(alert.labels), annotations: JSON.stringify(alert.annotations) },
      };
    }),
  };
}
