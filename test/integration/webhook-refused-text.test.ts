import { afterEach, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/build-test-app.js';
import { alertGroup, appWithCountedStore, type GroupBody } from '../support/counted-store.js';
import { alertmanagerHeaders } from '../support/requests.js';

/*
 * The webhook's compiled validator (src/alerts/fast-parse.ts) does not look for NUL or `__proto__` in labels
 * and annotations: the app's JSON parser refused them before the route ran. These pin that it did, for the
 * webhook, on every path a body takes: a new group and a known one (answered from memory), each content type
 * the parser takes, with the parser's errors (400, naming where) and nothing read or written.
 */

type Spoil = (body: GroupBody) => string;
/** A NUL placed in the parsed body: JSON.stringify writes it as `\u0000`. */
const withNul =
  (place: (body: GroupBody) => void): Spoil =>
  (body) => {
    place(body);
    return JSON.stringify(body);
  };
/** A key only raw text can hold: `__proto__` as an own key, as JSON.parse makes it. */
const inText =
  (from: string, to: string): Spoil =>
  (body) =>
    JSON.stringify(body).replace(from, to);
const cases: Array<[string, Spoil, string, RegExp]> = [
  [
    'a label value with NUL',
    withNul((b) => {
      b.alerts[0]!.labels.team = 'a\u0000b';
    }),
    'SALVE_REQUEST_INVALID_TEXT',
    /alerts\[0\]\.labels\.team: holds a NUL character/,
  ],
  [
    'a label name with NUL',
    withNul((b) => {
      b.alerts[1]!.labels['te\u0000am'] = 'x';
    }),
    'SALVE_REQUEST_INVALID_TEXT',
    /alerts\[1\]\.labels.*: holds a NUL character/,
  ],
  [
    'an annotation with NUL',
    withNul((b) => {
      b.alerts[2]!.annotations = { summary: '\u0000' };
    }),
    'SALVE_REQUEST_INVALID_TEXT',
    /alerts\[2\]\.annotations\.summary: holds a NUL character/,
  ],
  [
    'commonLabels with NUL',
    withNul((b) => {
      b.commonLabels = { a: 'x\u0000' };
    }),
    'SALVE_REQUEST_INVALID_TEXT',
    /commonLabels\.a: holds a NUL character/,
  ],
  [
    'a label named __proto__',
    inText('"labels":{', '"labels":{"__proto__":"x",'),
    'SALVE_REQUEST_BAD_JSON',
    /./,
  ],
  [
    'commonAnnotations named __proto__',
    inText('"commonAnnotations":{', '"commonAnnotations":{"__proto__":{"x":"y"},'),
    'SALVE_REQUEST_BAD_JSON',
    /./,
  ],
];

describe('text the JSON parser refuses never reaches the compiled validator', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    t = undefined;
  });

  it.each(cases)(
    '%s: refused with 400 on a new group and on a known one, whatever the JSON content type',
    async (what, spoil, code, message) => {
      const c = await appWithCountedStore();
      t = c.t;
      const known: GroupBody = alertGroup();
      expect((await t.deliver(known)).statusCode).toBe(202);
      const calls = { ...c.calls };
      for (const body of [structuredClone(known), alertGroup()]) {
        const original = JSON.stringify(body);
        const spoiled = spoil(body);
        expect(spoiled, what).not.toBe(original);
        for (const contentType of ['application/json', 'application/json; charset=utf-8']) {
          const res = await t.app.inject({
            method: 'POST',
            url: '/v1/alertmanager',
            headers: { ...alertmanagerHeaders(), 'content-type': contentType },
            payload: spoiled,
          });
          expect(res.statusCode, `${what}, ${contentType}`).toBe(400);
          expect(res.json().error.code, what).toBe(code);
          expect(res.json().error.message, what).toMatch(message);
        }
      }
      expect(c.calls).toEqual(calls);
    },
  );

  it('a body in any other content type is refused before it is parsed (415)', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const spoiled = cases[0]![1](alertGroup());
    for (const contentType of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/vnd.api+json',
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/alertmanager',
        headers: { ...alertmanagerHeaders(), 'content-type': contentType },
        payload: spoiled,
      });
      expect(res.statusCode, contentType).toBe(415);
    }
  });
});
