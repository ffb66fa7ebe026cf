import type { KubeObject } from './types.js';

// core/v1 Event and events.k8s.io/v1 Event are one stored resource; these are the field renames between them.
const RENAMES: Array<[core: string, events: string]> = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
  ['reportingComponent', 'reportingController'],
];

function rename(obj: KubeObject, apiVersion: string, from: 0 | 1): KubeObject {
  const out: KubeObject = { ...obj, apiVersion, kind: 'Event' };
  for (const pair of RENAMES) {
    const src = pair[from];
    const dst = pair[from === 0 ? 1 : 0];
    if (src in out) {
      out[dst] = out[src];
      delete out[src];
    }
  }
  return out;
}

export function coreEventFromStored(obj: KubeObject): KubeObject {
  return rename(obj, 'v1', 1);
}

export function storedEventFromCore(obj: KubeObject): KubeObject {
  return rename(obj, 'events.k8s.io/v1', 0);
}
