/**
 * salve's Grafana dashboard, as code: `npm run monitoring` writes deploy/grafana/salve.json from it, and a test
 * fails when the file and this code differ, or when a query reads a metric or label /metrics does not expose.
 */
import { audit } from './audit.js';
import { actions, heals } from './heals.js';
import { intake, overview } from './intake.js';
import { notifications, policiesAndStore } from './operations.js';
import { datasource, labelVariable, layout } from './panels.js';
import { job } from './selectors.js';

export function salveDashboard() {
  return {
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '10.4.0' },
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
      { type: 'panel', id: 'stat', name: 'Stat', version: '' },
      { type: 'panel', id: 'timeseries', name: 'Time series', version: '' },
    ],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
        {
          name: 'salve paused',
          datasource,
          enable: true,
          iconColor: 'red',
          expr: `max(salve_paused{${job}}) > 0`,
          step: '60s',
          titleFormat: 'salve paused',
          textFormat: 'nothing is acted on while paused',
        },
      ],
    },
    description:
      'salve: alerts in, heals and their guards, actions, notifications, policies, the store and the audit log.',
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [],
    panels: layout([overview, intake, heals, actions, notifications, policiesAndStore, audit]),
    refresh: '30s',
    schemaVersion: 39,
    tags: ['salve', 'remediation'],
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
          includeAll: false,
          multi: false,
          options: [],
          refresh: 1,
          regex: '',
        },
        labelVariable('job', 'Job', 'label_values(salve_store_up, job)', false),
        labelVariable('instance', 'Replica', 'label_values(salve_store_up{job=~"$job"}, instance)', true),
      ],
    },
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    title: 'salve',
    uid: 'salve-overview',
    version: 1,
    weekStart: '',
  };
}
