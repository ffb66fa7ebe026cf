import { describe, expect, it } from 'vitest';
import { slackSignature, verifySlackSignature } from '../../src/notify/slack/signature.js';

// Slack's published test vector (reference/slack-and-ml-apis.md).
const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const timestamp = '1531420618';
const body =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const expected = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const at = (seconds: number) => new Date(seconds * 1000);

describe('Slack request signatures', () => {
  it('signs Slack’s published test vector to the published signature', () => {
    expect(slackSignature(secret, timestamp, body)).toBe(expected);
  });

  it('accepts the test vector within the 300 s window on either side', () => {
    for (const now of [1531420618, 1531420618 + 300, 1531420618 - 300]) {
      expect(
        verifySlackSignature({ secret, timestamp, signature: expected, rawBody: body, now: at(now) }),
      ).toEqual({ ok: true, signature: expected });
    }
  });

  it('refuses a timestamp more than 300 s in the past or in the future as stale', () => {
    for (const now of [1531420618 + 301, 1531420618 - 301]) {
      expect(
        verifySlackSignature({ secret, timestamp, signature: expected, rawBody: body, now: at(now) }),
      ).toEqual({ ok: false, reason: 'stale' });
    }
  });

  it('refuses a body changed by one byte, a wrong secret and a truncated signature as invalid', () => {
    const now = at(1531420618);
    const check = (s: string, sig: string, b: string) =>
      verifySlackSignature({ secret: s, timestamp, signature: sig, rawBody: b, now });
    expect(check(secret, expected, body.replace('roadrunner', 'roadrunnex'))).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(check('another-secret', expected, body)).toEqual({ ok: false, reason: 'invalid' });
    expect(check(secret, expected.slice(0, -2), body)).toEqual({ ok: false, reason: 'invalid' });
    expect(check(secret, expected.replace('v0=', 'v1='), body)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses missing headers and a timestamp that is not a number', () => {
    const now = at(1531420618);
    expect(
      verifySlackSignature({ secret, timestamp: undefined, signature: expected, rawBody: body, now }),
    ).toEqual({ ok: false, reason: 'missing' });
    expect(verifySlackSignature({ secret, timestamp, signature: '', rawBody: body, now })).toEqual({
      ok: false,
      reason: 'missing',
    });
    expect(
      verifySlackSignature({ secret, timestamp: '1531420618.5', signature: expected, rawBody: body, now }),
    ).toEqual({ ok: false, reason: 'stale' });
  });
});
