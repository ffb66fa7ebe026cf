import { describe, expect, it } from 'vitest';
import { notificationKinds } from '../../src/domain/notification.js';
import { exampleEvents } from '../../src/notify/examples.js';

describe('notification docs', () => {
  it('the examples cover every kind of event, and every step outcome including the dry run', () => {
    expect(new Set(exampleEvents.map((e) => e.event.kind))).toEqual(new Set(notificationKinds));
    const outcomes = exampleEvents.flatMap((e) => (e.event.step ? [e.event.step.status] : []));
    expect(new Set(outcomes)).toEqual(new Set(['changed', 'unchanged', 'failed', 'dry_run']));
  });
});
