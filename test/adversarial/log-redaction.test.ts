import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { censor, maxDepth, scrub, secretKeys } from '../../src/observability/redact.js';
import { repoRoot } from '../support/fixtures.js';
import { captureLogs } from '../support/log-capture.js';

const SECRET = 'hunter2-0123456789abcdef';

/**
 * Every path pino's `redact` was given before the logger redacted by key name (src/observability/redact.ts):
 * each must stay redacted, in every shape below.
 */
const formerPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-slack-signature"]',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'signingSecret',
  '*.signingSecret',
  'webhookUrl',
  '*.webhookUrl',
  'config.slackWebhookUrl',
  'config.slackSigningSecret',
  'config.pagerdutyRoutingKey',
  'routingKey',
  '*.routingKey',
  'routing_key',
  '*.routing_key',
  'responseUrl',
  '*.responseUrl',
  'response_url',
  '*.response_url',
] as const;

/** `a.b["c-d"]` → ['a', 'b', 'c-d']; a `*` stands for any key, here `anything`. */
const segments = (path: string) =>
  path
    .replace(/\["([^"]+)"\]/g, '.$1')
    .split('.')
    .map((s) => (s === '*' ? 'anything' : s));

/** `{a: {b: {c: value}}}` for the segments a, b, c, beside fields that are no secret. */
function objectAt(path: readonly string[], value: unknown): Record<string, unknown> {
  let out: unknown = value;
  for (const key of [...path].reverse()) out = { [key]: out, plain: 'kept' };
  return out as Record<string, unknown>;
}

function logged(fields: object, msg = 'line'): { text: string; line: Record<string, unknown> } {
  const logs = captureLogs('info');
  logs.log.info(fields, msg);
  const [line] = logs.lines();
  return { text: logs.text(), line: line! };
}

describe('log redaction: every secret redacted before stays redacted', () => {
  it.each(formerPaths)('%s', (path) => {
    const keys = segments(path);
    const { text, line } = logged(objectAt(keys, SECRET));
    expect(text).not.toContain(SECRET);
    let at: unknown = line;
    for (const key of keys) at = (at as Record<string, unknown>)[key];
    expect(at).toBe(censor);
    // The fields around it are logged as they were.
    expect(line.plain).toBe('kept');
  });

  it.each(formerPaths)('%s, nested deeper, in arrays, in any case', (path) => {
    const keys = segments(path);
    const last = keys.at(-1)!;
    const shouted = [...keys.slice(0, -1), last.toUpperCase()];
    const capitalised = [...keys.slice(0, -1), last[0]!.toUpperCase() + last.slice(1)];
    const fields = {
      deeper: { one: { two: objectAt(keys, SECRET) } },
      list: [objectAt(keys, SECRET), [objectAt(shouted, SECRET)]],
      upper: objectAt(shouted, SECRET),
      capital: objectAt(capitalised, SECRET),
    };
    expect(logged(fields).text).not.toContain(SECRET);
  });

  it('covers every name of the former paths', () => {
    const names = new Set(formerPaths.map((p) => segments(p).at(-1)!.toLowerCase()));
    for (const name of names) expect(secretKeys.has(name)).toBe(true);
  });

  it("the README's Logs section names every secret key", () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Logs'), readme.indexOf('### Dashboard'));
    const named = new Set([...section.matchAll(/`([\w-]+)`/g)].map((m) => m[1]!.toLowerCase()));
    expect([...secretKeys].filter((k) => !named.has(k))).toEqual([]);
  });
});

describe('log redaction: adversarial shapes', () => {
  it('an error: its own fields, and an error logged alone', () => {
    const cause = Object.assign(new Error('inner'), { token: SECRET });
    const err = Object.assign(new Error('outer', { cause }), { password: SECRET, code: 'E_X' });
    const logs = captureLogs('info');
    logs.log.error({ err }, 'failed');
    logs.log.error(err);
    expect(logs.text()).not.toContain(SECRET);
    const [first, alone] = logs.lines();
    for (const line of [first!, alone!]) {
      const e = line.err as Record<string, unknown>;
      // Message, stack and type survive the copy.
      expect(e).toMatchObject({ type: 'Error', code: 'E_X', password: censor });
      expect(String(e.message)).toMatch(/^outer/);
      expect(String(e.stack)).toContain('outer');
    }
    expect(alone!.msg).toMatch(/^outer/);
  });

  it("a child logger's bindings, and its children's", () => {
    const logs = captureLogs('info');
    const child = logs.log.child({ token: SECRET, conn: { Authorization: `Bearer ${SECRET}` } });
    child.child({ inner: { routing_key: SECRET } }).info('from a grandchild');
    expect(logs.text()).not.toContain(SECRET);
    expect(logs.lines()[0]).toMatchObject({ token: censor, conn: { Authorization: censor } });
  });

  it('objects formatted into the message (%j, %o, %s)', () => {
    const logs = captureLogs('info');
    logs.log.info('sent %j', { webhookUrl: SECRET });
    logs.log.info({ a: 1 }, 'sent %o and %s', { headers: { cookie: SECRET } }, 'text');
    expect(logs.text()).not.toContain(SECRET);
    expect(logs.lines()[1]!.msg).toContain('text');
  });

  it('never changes what was logged, and shares what holds no secret', () => {
    const inner = { routingKey: SECRET };
    const untouched = { plain: [1, 2, 3] };
    const fields = { inner, untouched, err: Object.assign(new Error('x'), { token: SECRET }) };
    const out = scrub(fields);
    expect(out).not.toBe(fields);
    expect(out.untouched).toBe(untouched);
    expect(inner.routingKey).toBe(SECRET);
    expect(fields.err.token).toBe(SECRET);
    expect(out.err).toBeInstanceOf(Error);
    const clean = { a: { b: [{ c: 1 }] } };
    expect(scrub(clean)).toBe(clean);
  });

  it('a `__proto__` key from parsed JSON stays a key and is looked into', () => {
    const parsed = JSON.parse(`{"__proto__": {"token": "${SECRET}"}, "a": 1}`) as object;
    const { text } = logged({ parsed });
    expect(text).not.toContain(SECRET);
    expect(text).toContain('"__proto__":{"token":"[redacted]"}');
    expect(({} as Record<string, unknown>).token).toBeUndefined();
  });

  it('a cycle, or nesting past the bound, ends: nothing throws, secrets within the bound are redacted', () => {
    const cyclic: Record<string, unknown> = { secret: SECRET };
    cyclic.self = cyclic;
    expect(() => logged({ cyclic })).not.toThrow();
    let deep: Record<string, unknown> = { token: SECRET };
    for (let i = 0; i < maxDepth - 1; i++) deep = { next: deep };
    expect(logged({ deep }).text).not.toContain(SECRET);
  });

  it('a frozen object, a frozen error, a getter: copied, never thrown on', () => {
    const frozen = Object.freeze({ token: SECRET, kept: 1 });
    const error = Object.freeze(Object.assign(new Error('frozen'), { secret: SECRET }));
    const withGetter = Object.defineProperty({}, 'password', { get: () => SECRET, enumerable: true });
    const { line, text } = logged({ frozen, error, withGetter });
    expect(text).not.toContain(SECRET);
    expect(line.frozen).toEqual({ token: censor, kept: 1 });
    expect(frozen.token).toBe(SECRET);
  });

  it('a secret under a null-prototype object, or with a non-string value', () => {
    const bare = Object.assign(Object.create(null) as object, { password: SECRET });
    const { line, text } = logged({ bare, token: { nested: SECRET }, secret: 12345 });
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('12345');
    expect(line.token).toBe(censor);
  });
});
