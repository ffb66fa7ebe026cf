import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import type { SettingName } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { SecretRef } from '../runtime/secrets.js';
import type { Delivery, Outgoing, SendResult, Severity } from './types.js';

// What every notifier is to the rest of salve, and what it is given. The dispatcher and the delivery path
// call `notify` and read the optional capabilities; everything else about a notifier lives in its folder.

/** One configured destination: a Slack channel, a webhook consumer. */
export interface Notifier {
  readonly name: string;
  readonly type: string;
  /** Lowest alert severity this notifier is told about; null: everything. */
  readonly minSeverity: Severity | null;
  /**
   * Sends one notification once (the dispatcher retries), or answers that this notifier does not tell this
   * kind of event (`skipped`). An unreachable or failing peer is a Delivery outcome, never a throw.
   */
  notify(outgoing: Outgoing): Promise<Delivery>;
  /** Optional: people answer this notifier's messages (approval buttons). */
  readonly interactive?: Interactive;
}

/** What a notifier whose messages take clicks offers the code that receives the clicks. */
export type Interactive = {
  /**
   * Someone decided the approval of `healId` from this notifier's message: the decision's notification is to
   * replace that message (through `replyUrl`) rather than post a new one. Durable: it survives a restart.
   */
  answerInPlace(healId: string, replyUrl: string): Promise<void>;
  /** Nothing is to replace the message of `healId` any more (the heal no longer waits). */
  forget(healId: string): Promise<void>;
  /** A private answer to whoever clicked, outside the outbox: best effort, never retried. */
  reply(replyUrl: string, message: Record<string, unknown>): void;
};

/** A small durable memory shared by replicas (the store's settings): what a notifier must not forget. */
export type NotifierMemory = {
  get(key: string): Promise<string | null>;
  set(key: string, value: string | null): Promise<void>;
};

/** Where a notifier's URL or secret comes from: never the value itself in a file that gets committed. */
export type ValueSource = SecretRef | { value: string };

export const valueSourceSchema = z.union(
  [
    z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) }),
    z.strictObject({ file: z.string().min(1) }),
  ],
  { error: 'expected { env: NAME } or { file: /path }: the value is a secret, never written here' },
);

export type NotifierDeps = {
  http: AxiosInstance;
  /** Reads a URL or secret at send time, so a rotated Secret needs no restart. */
  resolve(source: ValueSource): Promise<string>;
  /** How long one request to a peer may take. */
  timeoutMs: number;
  now: () => Date;
  memory: NotifierMemory;
  /** Work outside the outbox (a reply), awaited by the dispatcher's drain and stop. */
  track(work: Promise<unknown>): void;
  log: Logger;
};

/** Reads a URL or secret; a missing variable or file is worth retrying (someone may be fixing it). */
export async function readSource(
  deps: Pick<NotifierDeps, 'resolve'>,
  source: ValueSource,
  what: string,
): Promise<{ value: string } | { failed: SendResult }> {
  try {
    return { value: await deps.resolve(source) };
  } catch (err) {
    // The reader's message names the variable or file, never a value.
    const why = err instanceof Error ? err.message : 'cannot be read';
    return { failed: { outcome: 'retry', status: null, error: `notifier ${what}: ${why}` } };
  }
}

/** A configured notifier: its name, type and minimum severity, with the fields its type reads. */
export type NotifierSpec<F = Record<string, unknown>> = {
  name: string;
  type: string;
  minSeverity: Severity | null;
} & F;

/** One type of notifier, as the registry lists it: how it is configured and built. */
export type NotifierKind<F extends Record<string, unknown> = Record<string, unknown>> = {
  type: string;
  /** Its entry's fields in SALVE_NOTIFIERS_FILE beside name, type and minSeverity, checked with the file. */
  fields: z.ZodType<F>;
  /** A notifier that salve's own settings define (SALVE_SLACK_WEBHOOK_URL defines `slack`), when set. */
  builtin?: {
    name: string;
    /** The settings that define it; named (as environment variables) when a policy routes to it unset. */
    settings: readonly SettingName[];
    fields(settings: Partial<Record<SettingName, unknown>>): F | null;
  };
  create(spec: NotifierSpec<F>, deps: NotifierDeps): Notifier;
};
