/**
 * Response shapes of the API, shared with the operator console (web/), which imports them as types only.
 * Keep this file free of runtime imports: the browser bundle must not pull server code.
 */
import type { ReceivedAlert } from '../alerts/schema.js';
import type { Scope } from '../config/tokens.js';
import type { AuditRecord } from '../domain/audit.js';
import type { HealAlert } from '../domain/heal.js';
import type { PolicySourceStatus } from '../policy/source.js';
import type { Policy } from '../policy/types.js';
import type { PauseState } from '../service/pause.js';
import type { ReplayReport } from '../service/replay/replay.js';
import type { StatsReport } from '../service/stats.js';
import type { AuditVerification } from '../store/types.js';
import type { HealView as Heal } from './heal-view.js';

export type { AuditRecord, AuditVerification, Heal, HealAlert, Scope };

/**
 * The widest window of alert start times `GET /v1/alerts` reads in one request. Alerts are keyed by start time
 * first: a fingerprint is found by reading the identity index over the window, one entry per alert started in it
 * (measured on SQLite,
 * whose reads run on the event loop: 1,000,000 alerts over 30 days, a week of them 17 ms; the whole index, which
 * a fingerprint alone would read, 80 ms, and the table 150 ms). A week bounds what one viewer request costs by
 * the alerts of a week instead of by everything ever received; a longer history is read a week at a time.
 */
export const alertStartWindowDays = 7;
export const alertStartWindowMs = alertStartWindowDays * 86_400_000;

export type WhoAmI = {
  /** The token's name, as audit records name it (`token:<name>`). */
  name: string;
  scopes: Scope[];
  /** Authentication is off (--insecure-no-auth): every caller holds every scope. */
  open: boolean;
};

export type HealList = { heals: Heal[]; nextCursor: string | null };

export type HealDetail = { heal: Heal; alerts: HealAlert[]; timeline: AuditRecord[] };

/** An attached alert as Alertmanager sent it: labels and annotations are the sender's text, untrusted. */
export type AttachedAlert = HealAlert &
  Pick<ReceivedAlert, 'labels' | 'annotations' | 'generatorURL' | 'endsAt'> & { receivedAt: string | null };

export type AttachedAlerts = { alerts: AttachedAlert[]; more: number };

export type AuditPage = { records: AuditRecord[]; nextCursor: string | null };

export type { PauseState, ReplayReport, StatsReport };

export type PolicyView = Pick<
  Policy,
  'name' | 'description' | 'on' | 'target' | 'allow' | 'steps' | 'guards' | 'notify'
> & { file: string; match: string[] };

/** The source's status; `policies` is the table itself (its length is the count). */
export type PolicyList = Omit<PolicySourceStatus, 'policies'> & { policies: PolicyView[] };

export type ApiErrorBody = { error: { code: string; message: string } };
