import { targetLabel } from '../../actions/step.js';
import type { NotificationEvent, NotificationKind } from '../../domain/notification.js';
import { humanDuration, waitedFor } from '../words.js';
import {
  alertLine,
  approvalBlockPrefix,
  approveActionId,
  type Block,
  code,
  fallbackAlert,
  linksContext,
  mrkdwn,
  plain,
  planLine,
  rejectActionId,
  type SlackMessage,
  section,
  storyContext,
  whoText,
} from './blocks.js';
import { clip, esc, slackDate } from './format.js';

type Body = { headline: string; details?: string; fallback: string; extra?: Block[] };
type Builder = (event: NotificationEvent, notifier: string) => Body;

const refusalWords: Record<string, string> = {
  cooldown: 'cooling down',
  loop_breaker: 'heal-loop breaker',
  global_rate_limit: 'global rate limit',
  not_allowed: 'target not allowed',
  policy_removed: 'policy removed',
};

const cancellationWords: Record<string, string> = {
  alerts_resolved: 'the alerts resolved before salve acted',
  approval_expired: 'nobody decided on the approval in time',
  rejected: 'the approval was rejected',
};

const stepHeadline = {
  changed: [':white_check_mark:', 'changed'],
  unchanged: [':ballot_box_with_check:', 'found nothing to change on'],
  failed: [':x:', 'failed on'],
} as const;

const builders: Record<NotificationKind, Builder> = {
  'heal.opened': (e) => ({
    headline: `:adhesive_bandage: *salve is healing${e.heal.dryRun ? ' (dry run)' : ''}* ${code(targetLabel(e.heal.target))}`,
    details: `${alertLine(e)}\n${planLine(e)}`,
    fallback: `salve is healing ${esc(targetLabel(e.heal.target))}: ${fallbackAlert(e)}; plan: ${e.heal.steps.map((s) => s.action).join(', then ')}`,
  }),

  'step.result': (e) => {
    const step = e.step ?? { number: 0, action: 'unknown', status: 'failed' as const, detail: '' };
    const n = `${step.number} of ${e.heal.steps.length}`;
    const target = targetLabel(e.heal.target);
    if (step.status === 'dry_run') {
      const wouldHave = step.detail.replace(/^would have:\s*/, '');
      return {
        headline: `:test_tube: *Dry run, step ${n}* ${code(step.action)}: nothing was changed`,
        details: clip(`*Would have:* ${esc(wouldHave)}`),
        fallback: `Dry run, step ${n} (${step.action}) would have: ${clip(esc(wouldHave), 300)}`,
      };
    }
    const [emoji, verb] = stepHeadline[step.status];
    return {
      headline: `${emoji} *Step ${n}* ${code(step.action)} *${verb}* ${code(target)}`,
      details: step.detail ? clip(esc(step.detail)) : undefined,
      fallback: `Step ${n} (${step.action}) ${verb} ${esc(target)}${step.detail ? `: ${clip(esc(step.detail), 300)}` : ''}`,
    };
  },

  'heal.resolved': (e) => {
    const ttr = humanDuration(e.resolution?.timeToResolveSeconds ?? 0);
    return {
      headline: `:large_green_circle: *Resolved* ${code(targetLabel(e.heal.target))} in *${ttr}*`,
      details: `${alertLine(e)}\n*Time to resolve:* ${ttr} (opened ${slackDate(e.heal.openedAt)})`,
      fallback: `Resolved ${esc(targetLabel(e.heal.target))} in ${ttr}`,
    };
  },

  'heal.escalated': (e) => {
    const tried = e.escalation?.tried ?? [];
    const triedText =
      tried.length > 0
        ? tried.map((t) => `${t.step}. ${code(t.action)}`).join(', ')
        : e.refusal
          ? `nothing: refused by the ${esc(refusalWords[e.refusal.reason] ?? e.refusal.reason)} guard`
          : 'nothing';
    const why = esc(e.escalation?.why ?? 'no step healed it');
    return {
      headline: `:rotating_light: *Needs a human:* salve could not heal ${code(targetLabel(e.heal.target))}`,
      details: clip(
        `*Why:* ${why}\n*Tried:* ${triedText}\n${alertLine(e)}\nsalve has stopped acting on this target.`,
      ),
      fallback: `Needs a human: salve could not heal ${esc(targetLabel(e.heal.target))} (${clip(why, 300)}). Tried: ${tried.map((t) => t.action).join(', ') || 'nothing'}`,
    };
  },

  'heal.dry_run': (e) => {
    const wouldHave = e.dryRun?.wouldHave === 'escalated' ? 'escalated to a human' : 'resolved';
    const why = esc(e.dryRun?.why ?? '');
    return {
      headline: `:test_tube: *Dry run finished* for ${code(targetLabel(e.heal.target))}: salve would have *${wouldHave}*`,
      details: clip(`*Why:* ${why}\n${alertLine(e)}\nNothing outside salve was changed.`),
      fallback: `Dry run finished for ${esc(targetLabel(e.heal.target))}: salve would have ${wouldHave} (${clip(why, 300)}); nothing was changed`,
    };
  },

  'heal.refused': (e) => {
    const reason = e.refusal?.reason ?? 'refused';
    const words = esc(refusalWords[reason] ?? reason);
    const detail = esc(e.refusal?.detail ?? '');
    return {
      headline: `:no_entry: *Refused* to act on ${code(targetLabel(e.heal.target))}: *${words}*`,
      details: clip(`*Guard:* ${code(e.refusal?.guard ?? 'unknown')} · ${detail}\n${alertLine(e)}`),
      fallback: `Refused to act on ${esc(targetLabel(e.heal.target))}: ${words}: ${clip(detail, 300)}`,
    };
  },

  'heal.cancelled': (e) => {
    const reason = e.cancellation?.reason ?? 'cancelled';
    const words = esc(cancellationWords[reason] ?? reason);
    return {
      headline: `:heavy_minus_sign: *Cancelled* the heal of ${code(targetLabel(e.heal.target))}: ${words}`,
      details: alertLine(e),
      fallback: `Cancelled the heal of ${esc(targetLabel(e.heal.target))}: ${words}`,
    };
  },

  'approval.requested': (e, notifier) => {
    const wouldDo = e.approval?.wouldDo ?? e.heal.steps.map((s) => s.action);
    const expires = e.approval?.expiresAt ? `\n*Expires:* ${slackDate(e.approval.expiresAt)}` : '';
    const why = e.approval?.why ? `*Why a human decides:* ${esc(e.approval.why.detail)}\n` : '';
    const buttons: Block = {
      type: 'actions',
      block_id: `${approvalBlockPrefix}${notifier}`,
      elements: [
        {
          type: 'button',
          action_id: approveActionId,
          value: e.heal.id,
          style: 'primary',
          text: plain('Approve'),
          confirm: {
            title: plain('Approve this heal?'),
            text: mrkdwn(`salve will act on ${code(targetLabel(e.heal.target))} right away.`),
            confirm: plain('Approve'),
            deny: plain('Cancel'),
          },
        },
        {
          type: 'button',
          action_id: rejectActionId,
          value: e.heal.id,
          style: 'danger',
          text: plain('Reject'),
        },
      ],
    };
    return {
      headline: `:raised_hand: *Approval needed* to heal ${code(targetLabel(e.heal.target))}`,
      details: clip(
        `${why}*Would do, in order until the alerts resolve:*\n${wouldDo.map((w, i) => `${i + 1}. ${esc(w)}`).join('\n')}\n${alertLine(e)}${expires}`,
      ),
      extra: [buttons],
      fallback: `Approval needed to heal ${esc(targetLabel(e.heal.target))}: would ${wouldDo.map(esc).join(', then ')}`,
    };
  },

  'approval.overdue': (e) => {
    const waited = waitedFor(e) ?? 'too long';
    const expires = e.approval?.expiresAt ? ` It expires ${slackDate(e.approval.expiresAt)}.` : '';
    return {
      headline: `:hourglass: *Still waiting for an approval* to heal ${code(targetLabel(e.heal.target))}: *${waited}*`,
      details: `${alertLine(e)}
Nobody has approved or rejected it yet.${expires}`,
      fallback: `Still waiting for an approval to heal ${esc(targetLabel(e.heal.target))} after ${waited}`,
    };
  },

  'approval.decided': (e) => {
    const approved = e.approval?.decision === 'approved';
    const who = whoText(e.approval?.decidedBy);
    const target = code(targetLabel(e.heal.target));
    return {
      headline: approved
        ? `:white_check_mark: *Approved* by ${who}: salve acts on ${target} now`
        : `:no_entry_sign: *Rejected* by ${who}: nothing will be done to ${target}`,
      details: `${alertLine(e)}\n${planLine(e)}`,
      fallback: `${approved ? 'Approved' : 'Rejected'} by ${esc(e.approval?.decidedBy ?? 'someone')}: heal of ${esc(targetLabel(e.heal.target))}`,
    };
  },
};

/** The Slack message for an event, addressed from `notifier` (the approval buttons remember which one). */
export function slackMessage(event: NotificationEvent, notifier: string): SlackMessage {
  const body = builders[event.kind](event, notifier);
  const links = linksContext(event);
  const blocks: Block[] = [
    section(body.headline, 'salve_headline'),
    ...(body.details ? [section(body.details, 'salve_details')] : []),
    ...(body.extra ?? []),
    storyContext(event),
    ...(links ? [links] : []),
  ];
  const story = `(heal ${event.heal.id})`;
  return { text: `${body.fallback} ${story}`, blocks };
}
