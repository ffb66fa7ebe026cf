import type { Config } from '../../config/schema.js';

/** The settings that say who may decide an approval from Slack. */
export type ApproverSettings = Pick<Config, 'slackSigningSecret' | 'slackApprovers'>;

/** Nobody unless listed: a click from anyone in the channel must not be enough to act on production. */
export function slackApprovers(settings: ApproverSettings): ReadonlySet<string> | 'anyone' {
  return settings.slackApprovers?.includes('*') ? 'anyone' : new Set(settings.slackApprovers ?? []);
}

/** Slack approvals are denied unless someone is listed; `*` lets anyone who can click approve, and says so. */
export function slackApprovalWarnings(settings: ApproverSettings): string[] {
  if (!settings.slackSigningSecret) return [];
  if (!settings.slackApprovers || settings.slackApprovers.length === 0) {
    return [
      'Slack approvals are denied: SALVE_SLACK_APPROVERS lists no one (approve with POST /v1/heals/:id/approve, or list Slack user ids)',
    ];
  }
  if (settings.slackApprovers.includes('*')) {
    return ['SALVE_SLACK_APPROVERS is *: anyone who can click in the Slack channel can approve heals'];
  }
  return [];
}
