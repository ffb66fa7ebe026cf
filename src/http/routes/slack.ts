import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { SalveError } from '../../errors.js';
import { slackApprovers } from '../../notify/slack/approvers.js';
import { createSlackInteractions, slackInteractionsRoute } from '../../notify/slack/interactions.js';
import { decideApproval } from '../../service/decide-approval.js';
import type { AppDeps } from '../app-deps.js';

const SLACK_BODY_LIMIT = 64 * 1024;

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Slack's button clicks. No bearer token: Slack signs each request with the signing secret instead, over the raw
 * form body, so this route keeps the body as the exact string that arrived (its own parser, in its own scope).
 */
export function slackRoutes(app: FastifyInstance, deps: AppDeps): void {
  const interactions = createSlackInteractions({
    signingSecret: deps.config.slackSigningSecret ?? null,
    approvers: slackApprovers(deps.config),
    store: deps.store,
    clock: deps.clock,
    log: deps.log.child({ component: 'slack' }),
    decide: (input) => decideApproval(deps, input),
    pokeDispatcher: () => deps.dispatcher.poke(),
    notifiers: deps.notifiers,
  });

  app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'buffer', bodyLimit: SLACK_BODY_LIMIT },
      (_request, body, done) => {
        // Decoding bytes that are not UTF-8 would replace them: the text would not be what Slack signed.
        if (!isUtf8(body as Buffer)) {
          done(new SalveError('SALVE_REQUEST_INVALID_TEXT', 'the body is not valid UTF-8'), undefined);
          return;
        }
        done(null, (body as Buffer).toString('utf8'));
      },
    );
    scope.post(
      slackInteractionsRoute,
      {
        schema: {
          summary: 'Slack interactivity: Approve / Reject buttons (signed by Slack, no token)',
          description:
            'Verifies X-Slack-Signature (v0, HMAC-SHA256 with SALVE_SLACK_SIGNING_SECRET) over the raw body, ' +
            'refuses timestamps more than 300 s away and replays, then decides the approval as `slack:<user id>`.',
          tags: ['slack'],
          security: [],
        },
      },
      async (request, reply) => {
        await interactions.handle({
          timestamp: header(request.headers['x-slack-request-timestamp']),
          signature: header(request.headers['x-slack-signature']),
          rawBody: request.body,
        });
        return reply.status(200).send();
      },
    );
  });
}
