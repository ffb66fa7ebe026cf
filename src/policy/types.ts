import type { AutonomyRule } from '../domain/autonomy.js';
import type { ResolvedStep, StepVerify } from '../domain/heal.js';
import type { TargetRef } from '../domain/target.js';
import type { ChainLink, ChainSubject, OwnerOfKind } from '../kube/owner-chain.js';

export type MatcherOp = '=' | '!=' | '=~' | '!~';

/** One Alertmanager-style matcher; regexes are compiled (RE2, fully anchored) at load time. */
export type LabelMatcher = {
  label: string;
  op: MatcherOp;
  value: string;
  regex?: { test(value: string): boolean };
};

/** A string that may hold `{{ labels.X }}` / `{{ annotations.X }}` placeholders. */
export type Template = string;

export type StepSpec = {
  action: string;
  /** Raw `with:` block; string leaves may hold templates. Validated against the action's schema at load. */
  with: Record<string, unknown>;
  verify: StepVerify;
};

export type Guards = {
  cooldownMs: number;
  /** Heal-loop breaker: at most `count` actions on one target per `windowMs`, across policies. */
  maxPerTarget: { count: number; windowMs: number } | null;
  approval: boolean;
  /**
   * With approval: how long a heal may wait for a decision before salve pages the policy's notifiers
   * (`approval.overdue`; PagerDuty triggers an incident). Null: it never pages about the wait.
   */
  pageAfterMs: number | null;
  dryRun: boolean;
  /** Earned autonomy: a step whose record is below this bound waits for approval. null: acts on its guards. */
  autonomy: AutonomyRule | null;
};

/**
 * What an alert may choose, list by list: `namespaces` (always there: a literal target namespace allows
 * itself; empty for a cluster-scoped target unless a step's designator needs it), `names` for the target's name
 * (required when a cluster-scoped target's name is a template), and one list per kind of designator the actions declare (`models`,
 * `dags`, ...). See src/policy/remit.ts.
 */
export type AllowLists = { namespaces: string[]; [list: string]: string[] };

/**
 * `target.ownerOf`: the target is not named by the alert but found by following the controllers of the object
 * the alert is about (a Pod to its ReplicaSet's Deployment, a Job to its CronJob, an HPA to what it scales).
 */
export type OwnerOf = { kind: OwnerOfKind; name: Template };

/**
 * What a policy acts on: named by a template, or resolved through the owner chain of another object. A
 * cluster-scoped kind (a Node) has no `namespace`, and is always named; every other kind has one.
 */
export type PolicyTarget =
  | { kind: string; namespace?: Template; name: Template; ownerOf?: undefined }
  | { kind: string; namespace: Template; ownerOf: OwnerOf; name?: undefined };

export type Policy = {
  name: string;
  description: string;
  /** Where it was defined, for error messages: `policies/serving.yaml`, index in `policies[]`. */
  source: { file: string; index: number };
  match: LabelMatcher[];
  on: 'firing' | 'resolved';
  target: PolicyTarget;
  allow: AllowLists;
  steps: StepSpec[];
  guards: Guards;
  notify: string[];
};

/** One problem in a policy file, pointing at the place: file, YAML path and line:column. */
export type PolicyProblem = {
  file: string;
  path: string;
  message: string;
  line?: number;
  column?: number;
};

export type RefusalReason =
  | 'template_missing'
  | 'invalid_name'
  | 'not_allowed'
  | 'invalid_params'
  | 'unsupported_kind'
  /** `ownerOf`: the object does not exist, has no controller, or its owner is gone. */
  | 'target_unresolved'
  /** `ownerOf`: the top controller is not of the target's kind (a bare ReplicaSet, an operator's resource). */
  | 'target_kind_mismatch';

/** How an `ownerOf` target was found: the object the alert is about, up to its top controller. */
export type Resolution = { subject: ChainSubject; chain: ChainLink[] };

/** What one policy makes of one alert. Refusals are values (audited), not errors. */
export type MatchOutcome =
  | {
      outcome: 'match';
      policy: string;
      target: TargetRef;
      /** `Kind/namespace/name`: the heal identity is (policy, targetKey). */
      targetKey: string;
      steps: ResolvedStep[];
      /** Set when the target came through `ownerOf`. */
      resolution?: Resolution;
    }
  | {
      outcome: 'refused';
      policy: string;
      reason: RefusalReason;
      detail: string;
    }
  /**
   * `ownerOf` cannot be resolved now: the owner cache cannot tell and the API did not answer in time. The alert
   * is kept, and the resolution tried again; the heal (if any) opens then.
   */
  | {
      outcome: 'deferred';
      policy: string;
      subject: ChainSubject;
      detail: string;
    };
