import { describe, expect, it } from 'vitest';
import { notifierKinds } from '../../src/notify/registry.js';
import { runNotifierContract } from '../support/notifier-contract.js';
import { contract as selective } from '../support/notifier-contracts/selective.js';
import { contract as slack } from '../support/notifier-contracts/slack.js';
import { contract as webhook } from '../support/notifier-contracts/webhook.js';

// The contract every notifier keeps with the durable outbox, run on every notifier type of the registry. A new
// type brings test/support/notifier-contracts/<type>.ts (its peer, per its service's documented contract) and
// one line here.

const setups = [slack, webhook];

describe('the notifier contract', () => {
  it('runs on every notifier type of the registry', () => {
    const covered = new Set(setups.map((s) => s.kind));
    const missing = notifierKinds
      .filter((kind) => !covered.has(kind))
      .map((k) => `${k.type}: add test/support/notifier-contracts/${k.type}.ts and its line in this file`);
    expect(missing).toEqual([]);
  });
});

for (const setup of setups) runNotifierContract(setup);

// The generic path for a notifier that tells only some events: what is not told is skipped, and audited so.
runNotifierContract(selective);
