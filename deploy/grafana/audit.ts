/** The audit log: is the hash chain intact, and do its checkpoints get out of the database. */
import { type Section, stat, timeseries } from './panels.js';
import { job, jobInstance, window } from './selectors.js';

export const audit: Section = {
  title: 'Audit log',
  panels: [
    stat(
      'Audit chain',
      { expr: `max(salve_audit_broken_records{${job}})` },
      {
        description:
          'Records the last verification found changed, missing or unreadable: 0 is intact (docs/security.md).',
        mappings: { '0': { text: 'intact', color: 'green' } },
        thresholds: [['red', 1]],
        w: 6,
      },
    ),
    stat(
      'Last audit checkpoint',
      { expr: `max(salve_audit_checkpoint_seq{${job}})` },
      {
        description:
          'Sequence number of the last checkpoint published (log, metrics, SALVE_AUDIT_CHECKPOINT_URL); salve audit --verify --expect SEQ:HEAD checks the chain against one.',
        w: 6,
      },
    ),
    timeseries(
      'Audit checkpoints and sink refusals',
      [
        {
          expr: `max by (instance) (salve_audit_checkpoint_seq{${jobInstance}})`,
          legend: 'checkpoint {{instance}}',
        },
        {
          expr: `sum(increase(salve_audit_checkpoint_sink_failures_total{${jobInstance}}[${window}]))`,
          legend: 'sink refusals',
        },
      ],
      {
        description:
          'The checkpoint each replica published (it only grows: a drop means records are gone), and checkpoints the external sink refused.',
      },
    ),
  ],
};
