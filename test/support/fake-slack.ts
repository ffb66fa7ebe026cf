import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { slackSignature } from '../../src/notify/slack/signature.js';

// A stand-in for Slack on 127.0.0.1:0: an incoming webhook and response_url endpoints that record what salve
// posts, with scripted answers (500s, 429 with Retry-After, 404) — plus signed button clicks for salve's route.

export type SlackPost = {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read Block Kit structures freely.
  body: any;
};

/** A scripted answer; `hang` never answers (the request stays open until the server closes). */
export type Answer = { status: number; body?: string; retryAfter?: string } | { hang: true };

export type FakeSlack = {
  url: string;
  /** The incoming webhook salve posts new messages to. */
  webhookUrl: string;
  /** A response_url as Slack puts in a block_actions payload. */
  responseUrl(id?: string): string;
  requests: SlackPost[];
  /** Messages posted to the incoming webhook. */
  posts(): SlackPost[];
  /** Posts to response_url endpoints (message updates, ephemeral replies). */
  responses(): SlackPost[];
  /** The next `times` requests get this answer (in order, after earlier scripted ones). */
  answerNext(answer: Answer, times?: number): void;
  /** Every request gets this answer until `recover()`: an outage. */
  outage(answer: Answer): void;
  recover(): void;
  close(): Promise<void>;
};

export async function startFakeSlack(): Promise<FakeSlack> {
  const requests: SlackPost[] = [];
  const script: Answer[] = [];
  let down: Answer | null = null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {}
      requests.push({ path: req.url ?? '/', headers: req.headers, raw, body });
      const answer = down ?? script.shift() ?? { status: 200, body: 'ok' };
      if ('hang' in answer) return;
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (answer.retryAfter !== undefined) headers['retry-after'] = answer.retryAfter;
      res.writeHead(answer.status, headers);
      res.end(answer.body ?? (answer.status < 300 ? 'ok' : 'error'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    webhookUrl: `${url}/services/T0000/B0000/fake-webhook-secret`,
    responseUrl: (id = '1') => `${url}/actions/T0000/${id}/fake-response-secret`,
    requests,
    posts: () => requests.filter((r) => r.path.startsWith('/services/')),
    responses: () => requests.filter((r) => r.path.startsWith('/actions/')),
    answerNext(answer, times = 1) {
      for (let i = 0; i < times; i++) script.push(answer);
    },
    outage(answer) {
      down = answer;
    },
    recover() {
      down = null;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

export type ClickOptions = {
  healId: string;
  action: 'approve' | 'reject';
  responseUrl: string;
  user?: { id: string; username?: string };
  /** The notifier that posted the buttons (their block_id). */
  notifier?: string;
};

/** A block_actions payload shaped like the ones Slack sends for a button click. */
export function blockActionsPayload(o: ClickOptions): Record<string, unknown> {
  const user = o.user ?? { id: 'U2CERLKJA', username: 'roadrunner' };
  return {
    type: 'block_actions',
    user: { id: user.id, username: user.username, name: user.username, team_id: 'T0000' },
    api_app_id: 'A0000',
    token: 'verification-token-unused',
    container: { type: 'message', message_ts: '1764212460.000100', channel_id: 'C0000', is_ephemeral: false },
    trigger_id: '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
    team: { id: 'T0000', domain: 'example' },
    channel: { id: 'C0000', name: 'ml-oncall' },
    message: { type: 'message', text: 'Approval needed', ts: '1764212460.000100' },
    response_url: o.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: o.action === 'approve' ? 'salve_approve' : 'salve_reject',
        block_id: `salve_approval:${o.notifier ?? 'slack'}`,
        value: o.healId,
        text: { type: 'plain_text', text: o.action === 'approve' ? 'Approve' : 'Reject' },
        action_ts: '1764212470.123456',
      },
    ],
  };
}

/** The form body and headers Slack would send, signed with `secret` at `timestamp` (unix seconds). */
export function signedRequest(
  secret: string,
  payload: Record<string, unknown>,
  timestamp: number,
): { body: string; headers: Record<string, string> } {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = String(timestamp);
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': slackSignature(secret, ts, body),
    },
  };
}
