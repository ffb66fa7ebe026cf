// Apart from the schema (zod): the store's writer thread needs the identity, not the validator.

/** Per-alert identity: Alertmanager re-sends the whole group, HA peers send it twice; this key stays put. */
export function alertIdentity(alert: { fingerprint: string; startsAt: string; status: string }): string {
  return `${alert.fingerprint}/${alert.startsAt}/${alert.status}`;
}

/** The start time of an identity `alertIdentity` made: neither the start time nor the status holds a `/`. */
export function startsAtOfIdentity(id: string): string {
  const status = id.lastIndexOf('/');
  return id.slice(id.lastIndexOf('/', status - 1) + 1, status);
}
