import type { z } from 'zod';
import type { Clock } from '../clock.js';
import type { TargetRef } from '../domain/target.js';
import type { KubeClient } from '../kube/port.js';
import type { Logger } from '../observability/logger.js';
import type { Tracer } from '../observability/tracing.js';
import type { SecretReader } from '../runtime/secrets.js';

/**
 * Access tokens a peer issued in exchange for a password (Airflow 3's JWT), kept for their lifetime so that
 * a heal waiting hours on a DAG run logs in once, not at every poll. One per process, built with the other
 * adapters; keys never hold the password itself.
 */
export type TokenCache = {
  /** A token still valid for `key` (with a margin before it expires), or undefined. */
  get(key: string): string | undefined;
  /** `expiresAt` in epoch ms; undefined when the token does not say (kept until the peer refuses it). */
  put(key: string, token: string, expiresAt: number | undefined): void;
  /** Forgets a token the peer refused; a newer one cached meanwhile stays. */
  forget(key: string, token: string): void;
};

// The Action interface speaks of targets in the domain's words.
export type { TargetRef } from '../domain/target.js';

/**
 * How a designator is bounded. `allow` names the policy's `allow` list for it (`namespaces`, `models`, ...).
 * A Kubernetes namespace is bounded by `allow.namespaces`, which every policy has. A Kubernetes object name
 * (`within: 'namespace'`) lives in a namespace already bounded, so its own list narrows it further but is
 * optional, as for the target's name. Anything else (an MLflow model, an Airflow DAG) has no namespace to
 * bound it: an alert may fill it only from a list the policy writes.
 */
export type Designator = { allow: string; within?: 'namespace' };

/** One least-privilege RBAC rule an action needs, in Kubernetes' own shape. */
export type RbacRule = {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  /** What the action does with it, for the generated Role's comments: "read the workload, patch its template". */
  why?: string;
};

export type ActionContext = {
  heal: {
    /** Stable heal id: deterministic names of created objects derive from it. */
    id: string;
    policy: string;
    /** The step's number in the policy's escalation chain, from 1, as people read it (Events, notes). */
    step: number;
    /**
     * The step as the heal's marks and names count it (annotations, Job, Event and run names): `step` for
     * every heal this release opens; the index for a heal opened before steps were numbered from 1, so that a
     * re-run of its step after an upgrade still recognises its own work. Idempotency keys derive from this.
     */
    markStep: number;
    attempt: number;
    /**
     * When the incident began: the earliest `startsAt` of the alerts attached to the heal. Absent for a manual
     * heal. k8s.rollback never picks a release created after it (unless its step says so).
     */
    alertStartedAt?: string;
  };
  target: TargetRef;
  kube: KubeClient;
  /** Credentials named by policies (environment variables or mounted files). */
  secrets: SecretReader;
  /** Tokens peers issued for those credentials, kept for their lifetime (one per process). */
  tokens: TokenCache;
  clock: Clock;
  log: Logger;
  signal?: AbortSignal;
  /**
   * The heal's tracer: each request to a peer is a client span under the step's and carries its
   * `traceparent`. Absent (previews, tests of an action alone): requests go untraced.
   */
  tracer?: Tracer;
};

export type ActionResult = {
  status: 'changed' | 'unchanged';
  /** Human-readable, shown in the audit log and notifications: "rolled back scorer from revision 3 to 2". */
  detail: string;
  /** Structured facts for the audit log (revision moved from/to, Job name, ...). */
  data?: Record<string, unknown>;
};

export type RolloutState =
  | { state: 'done'; detail: string }
  | { state: 'waiting'; detail: string }
  | { state: 'failed'; detail: string };

export interface Action<P = unknown> {
  kind: string;
  summary: string;
  /** More than the summary for docs/actions.md: what the action deliberately does not do, and why. */
  notes?: string;
  /** The `with:` block, validated at policy load time and again after templates are filled. */
  params: z.ZodType<P>;
  /** Target kinds (Deployment, StatefulSet, ...) this action supports; `*` for any. */
  targetKinds: readonly string[];
  /** An example `with:` block for docs and `salve actions`. */
  example: Record<string, unknown>;
  rbac: readonly RbacRule[];
  /**
   * Top-level `with:` keys that must be written in the policy itself, never filled from an alert: an alert's
   * labels must not choose where salve sends a request, or which credential it sends.
   */
  literalParams?: readonly string[];
  /**
   * Top-level `with:` keys that designate *what* the step acts on (a namespace, a model, a DAG), each with the
   * `allow` list that bounds it. When an alert fills one, the policy must bound it; the `allowed` guard checks
   * every one again before acting. See `Designator`.
   */
  designators?: Readonly<Record<string, Designator>>;
  /**
   * The other top-level `with:` keys: how the step acts (a count, a mode) or data it hands to what the policy
   * names (a DAG's conf, a body), each with why an alert may fill it. Every key of `params` is a designator, a
   * literal or one of these: test/adversarial/remit.test.ts holds every registered action to it.
   */
  dataParams?: Readonly<Record<string, string>>;
  /**
   * Top-level `with:` keys still accepted but without effect, each with what to do instead: a policy that writes
   * one loads, with a warning naming its line (retiring a parameter never breaks a policy that worked).
   */
  deprecatedParams?: Readonly<Record<string, string>>;
  /** What the action would do, without any I/O: dry-run and approval messages use it. */
  describe(target: TargetRef, params: P): string;
  /**
   * What run() would do now, found by reads alone (the context's client refuses writes): `salve test` and
   * POST /v1/policies/test show it when salve can reach the target. Actions without it are described.
   */
  preview?(ctx: ActionContext, params: P): Promise<string>;
  /** Reads state first; returns `unchanged` when the target is already where the step wants it. */
  run(ctx: ActionContext, params: P): Promise<ActionResult>;
  /** For rollout actions: kubectl's rollout-status rule against the target. */
  rolloutStatus?(ctx: ActionContext, params: P): Promise<RolloutState>;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds actions of every parameter type.
export type AnyAction = Action<any>;
