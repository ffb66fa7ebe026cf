/** The kinds of audit record. Stable strings: operators filter on them. */
export const auditTypes = {
  deliveryReceived: 'delivery.received',
  policyRefused: 'policy.refused',
  healOpened: 'heal.opened',
  healAlertAttached: 'heal.alert_attached',
  healAlertResolved: 'heal.alert_resolved',
} as const;
