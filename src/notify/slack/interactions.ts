import { z } from 'zod';
import type { Clock } from '../../clock.js';
import type { AuditInput } from '../../domain/audit.js';
import { type ErrorCode, isSalveError, SalveError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Store } from '../../store/types.js';
import { describePath, findMalformedText } from '../../well-formed.js';
import type { Interactive } from '../notifier.js';
import { notifyAuditTypes } from '../records.js';
import type { NotifierRegistry } from '../registry.js';
import { approvalBlockPrefix, approveActionId, rejectActionId } from './blocks.js';
import { slackSeenKey } from './keys.js';
import { verifySlackSignature } from './signature.js';

export const slackInteractionsRoute = '/v1/slack/interactions';

export type SlackInteractionDeps = {
  signingSecret: string | null;
  /** Slack user ids allowed to decide (none when empty); 'anyone' only when SALVE_SLACK_APPROVERS is `*`. */
  approvers: ReadonlySet<string> | 'anyone';
  store: Store;
  clock: Clock;
  log: Logger;
  /**
   * The one approval decision the API makes too (src/service/decide-approval.ts): throws SALVE_HEAL_CONFLICT
   * when the heal no longer waits, SALVE_HEAL_NOT_FOUND when there is none.
   */
  decide(input: {
    id: string;
    decision: 'approve' | 'reject';
    actor: string;
    at: string;
    comment: string;
    via: 'slack';
  }): Promise<unknown>;
  pokeDispatcher(): void;
  /** The configured notifiers: the one whose message was clicked answers it (its `interactive` capability). */
  notifiers: NotifierRegistry;
};

export type SlackRequest = {
  timestamp: string | undefined;
  signature: string | undefined;
  /** The body exactly as it arrived (a string for a form post): the signature covers these bytes. */
  rawBody: unknown;
};

const rejections = {
  missing: 'SALVE_SLACK_SIGNATURE_MISSING',
  stale: 'SALVE_SLACK_SIGNATURE_STALE',
  invalid: 'SALVE_SLACK_SIGNATURE_INVALID',
  replayed: 'SALVE_SLACK_REPLAYED',
} as const satisfies Record<string, ErrorCode>;

const rejectionWords: Record<keyof typeof rejections, string> = {
  missing: 'X-Slack-Signature and X-Slack-Request-Timestamp are required',
  stale: 'X-Slack-Request-Timestamp is more than 300 s away from now',
  invalid: 'X-Slack-Signature does not match the body',
  replayed: 'this signed request was already received',
};

const blockActions = z.object({
  type: z.literal('block_actions'),
  user: z.object({
    id: z.string().regex(/^[A-Z0-9]{2,30}$/, 'expected a Slack user id'),
    username: z.string().max(200).optional(),
    name: z.string().max(200).optional(),
  }),
  response_url: z.url({ protocol: /^https?$/ }).optional(),
  actions: z
    .array(z.object({ action_id: z.string(), block_id: z.string().optional(), value: z.string().optional() }))
    .min(1),
});

const healId = z.string().regex(/^heal_[0-9a-z]{26}$/);

const ephemeral = (text: string) => ({ response_type: 'ephemeral', replace_original: false, text });

/** Button clicks from Slack: verified, replay-proof, allow-listed, then the one approval path the API uses too. */
export function createSlackInteractions(deps: SlackInteractionDeps) {
  // Two deliveries of one request racing each other inside this process; the store covers restarts.
  const inFlight = new Set<string>();

  /**
   * What Slack did not sign (or signed once, and someone sends again) writes nothing: an unauthenticated
   * client must not be able to fill the store. The refusal is counted and logged by the HTTP layer.
   */
  function reject(reason: keyof typeof rejections): never {
    throw new SalveError(rejections[reason], rejectionWords[reason]);
  }

  async function verify(req: SlackRequest & { rawBody: string }, secret: string): Promise<void> {
    const check = verifySlackSignature({ secret, ...req, now: deps.clock.now() });
    if (!check.ok) return reject(check.reason);
    const key = slackSeenKey(check.signature.slice(3));
    if (inFlight.has(key)) return reject('replayed');
    inFlight.add(key);
    try {
      if ((await deps.store.getSetting(key)) !== null) return reject('replayed');
      await deps.store.setSetting(key, deps.clock.now().toISOString());
    } finally {
      inFlight.delete(key);
    }
  }

  /**
   * The notifier whose buttons were clicked (the block names it), when it takes answers; for a private reply,
   * any notifier that does: a response_url answers whoever holds it.
   */
  function interactiveOf(name: string | null, anyForReply: boolean): Interactive | undefined {
    const named = name === null ? undefined : deps.notifiers.get(name)?.interactive;
    if (named !== undefined || !anyForReply) return named;
    return [...deps.notifiers.values()].find((n) => n.interactive !== undefined)?.interactive;
  }

  async function decide(payload: z.infer<typeof blockActions>): Promise<void> {
    const action = payload.actions.find(
      (a) => a.action_id === approveActionId || a.action_id === rejectActionId,
    );
    if (!action) return;
    const id = healId.safeParse(action.value);
    if (!id.success) throw new SalveError('SALVE_SLACK_PAYLOAD_INVALID', 'the button value is not a heal id');
    const actor = `slack:${payload.user.id}`;
    const who = payload.user.username ?? payload.user.name ?? payload.user.id;
    const responseUrl = payload.response_url;
    const notifier = action.block_id?.startsWith(approvalBlockPrefix)
      ? action.block_id.slice(approvalBlockPrefix.length)
      : null;
    const reply = (text: string) => {
      if (responseUrl) interactiveOf(notifier, true)?.reply(responseUrl, ephemeral(text));
    };
    const audit = (type: string, outcome: string, data: Record<string, unknown>): AuditInput => ({
      type,
      actor,
      healId: id.data,
      policy: null,
      target: null,
      outcome,
      data: { user: who, ...data },
    });
    if (deps.approvers !== 'anyone' && !deps.approvers.has(payload.user.id)) {
      const nobody = deps.approvers.size === 0;
      await deps.store.appendAudit([
        audit(notifyAuditTypes.slackNotAllowed, 'not_allowed', {
          button: action.action_id,
          ...(nobody ? { why: 'no approver list (SALVE_SLACK_APPROVERS)' } : {}),
        }),
      ]);
      reply(
        nobody
          ? ':lock: salve has no Slack approver list (SALVE_SLACK_APPROVERS), so nobody can approve from Slack: this click changed nothing.'
          : `:lock: You are not on salve's approver list, so this click changed nothing.`,
      );
      return;
    }
    // Remembered before the decision commits its notification, so the notifier finds it when it sends.
    if (responseUrl) await interactiveOf(notifier, false)?.answerInPlace(id.data, responseUrl);
    const decision = action.action_id === approveActionId ? 'approve' : 'reject';
    try {
      await deps.decide({
        id: id.data,
        decision,
        actor,
        at: deps.clock.now().toISOString(),
        comment: `from Slack by ${who}`,
        via: 'slack',
      });
      deps.pokeDispatcher();
    } catch (err) {
      if (!isSalveError(err) || (err.code !== 'SALVE_HEAL_CONFLICT' && err.code !== 'SALVE_HEAL_NOT_FOUND'))
        throw err;
      await interactiveOf(notifier, true)?.forget(id.data);
      await deps.store.appendAudit([
        audit(notifyAuditTypes.slackIgnored, 'not_awaiting_approval', { decision }),
      ]);
      const heal = await deps.store.getHeal(id.data);
      const state = heal ? `is ${heal.state}` : 'no longer exists';
      reply(`This heal ${state}: there is nothing to decide any more.`);
    }
  }

  return {
    configured: deps.signingSecret !== null,
    /** Verifies and acts on one request; throws SALVE_SLACK_* for what Slack did not sign. */
    async handle(req: SlackRequest): Promise<void> {
      if (deps.signingSecret === null) {
        throw new SalveError(
          'SALVE_SLACK_NOT_CONFIGURED',
          'Slack interactivity is not configured: set SALVE_SLACK_SIGNING_SECRET',
        );
      }
      const { rawBody } = req;
      if (typeof rawBody !== 'string') {
        throw new SalveError(
          'SALVE_REQUEST_UNSUPPORTED_MEDIA',
          'Slack sends application/x-www-form-urlencoded; nothing else is accepted here',
        );
      }
      await verify({ ...req, rawBody }, deps.signingSecret);
      const raw = new URLSearchParams(rawBody).get('payload');
      let json: unknown;
      try {
        json = JSON.parse(raw ?? '');
      } catch {
        throw new SalveError('SALVE_SLACK_PAYLOAD_INVALID', 'expected a form field "payload" holding JSON');
      }
      // Names and ids from Slack end up in the audit log: well-formed text only, like every other input.
      const malformed = findMalformedText(json);
      if (malformed) {
        throw new SalveError(
          'SALVE_REQUEST_INVALID_TEXT',
          `payload ${describePath(malformed)}: ${malformed.problem}`,
        );
      }
      if ((json as { type?: unknown })?.type !== 'block_actions') {
        deps.log.debug(
          { type: (json as { type?: unknown })?.type },
          'Slack interaction of another type ignored',
        );
        return;
      }
      const parsed = blockActions.safeParse(json);
      if (!parsed.success) {
        const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
        throw new SalveError('SALVE_SLACK_PAYLOAD_INVALID', `block_actions payload is invalid at ${where}`);
      }
      await decide(parsed.data);
    },
  };
}

export type SlackInteractions = ReturnType<typeof createSlackInteractions>;
