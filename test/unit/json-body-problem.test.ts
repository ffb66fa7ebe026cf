import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { jsonBodyProblem } from '../../src/well-formed.js';

/*
 * Every JSON body is parsed without fastify's prototype-poisoning scan and checked on the walk that checks its
 * strings. The verdict must be fastify's own (its default parser with both actions `error`, what salve used
 * before) on every body, including the escaped spellings its regular expressions look for.
 */

// fastify's own JSON parser as salve used it before: both poisoning actions `error`.
const fastifyParse = Fastify().getDefaultJsonParser('error', 'error');
const refusedByFastify = (text: string): boolean => {
  let refused: boolean | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: the parser reads nothing of the request.
  fastifyParse({} as any, text, (err) => {
    refused = err !== null;
  });
  if (refused === undefined) throw new Error('the parser did not answer at once');
  return refused;
};

const bodies = [
  '{"a":1}',
  '[]',
  '"text"',
  'null',
  '{"__proto__":{"x":1}}',
  '{"__proto__":null}',
  '{"__proto__":1}',
  '{"\\u005f_proto__":{"x":1}}',
  '{"\\u005F\\u005Fproto\\u005f\\u005f":{}}',
  '{"_\\u005fpr\\u006fto__":[]}',
  '{"a":{"b":[{"c":{"__proto__":{}}}]}}',
  '[[[{"__proto__":{}}]]]',
  '{"constructor":{"prototype":{"x":1}}}',
  '{"constructor":{"prototype":null}}',
  '{"constructor":{"prototype":1}}',
  '{"\\u0063onstructor":{"prototype":{}}}',
  '{"constructor":{"a":1}}',
  '{"constructor":1}',
  '{"constructor":null}',
  '{"constructor":[1]}',
  '{"constructor":{"\\u0070rototype":{}}}',
  '{"a":[{"constructor":{"prototype":{}}}]}',
  '{"labels":{"prototype":{"constructor":{}}}}',
  '{"proto":1,"__proto":2,"_proto__":3,"constructors":{"prototype":{}}}',
  '{"x":"__proto__","y":"constructor"}',
  '{"x":"\\"__proto__\\":{}"}',
];

describe('jsonBodyProblem: prototype keys refused exactly as fastify refused them', () => {
  it.each(bodies)('%s', (text) => {
    const problem = jsonBodyProblem(JSON.parse(text));
    expect(problem === 'prototype').toBe(refusedByFastify(text));
  });

  it('a body with both a malformed string and a prototype key is refused for the key, as before', () => {
    expect(jsonBodyProblem(JSON.parse('{"a":"\\ud800","b":{"__proto__":{}}}'))).toBe('prototype');
    expect(jsonBodyProblem(JSON.parse('{"b":{"__proto__":{}},"a":"\\ud800"}'))).toBe('prototype');
    expect(jsonBodyProblem(JSON.parse('{"a":"\\ud800","b":{"constructor":{"prototype":{}}}}'))).toBe(
      'prototype',
    );
  });

  it('malformed text alone is text, at any depth, key or value', () => {
    expect(jsonBodyProblem(JSON.parse('{"a":[{"b":"x\\u0000"}]}'))).toBe('text');
    expect(jsonBodyProblem(JSON.parse('{"\\udc00":1}'))).toBe('text');
    expect(jsonBodyProblem(JSON.parse('{"a":{"b":"fine"}}'))).toBeNull();
  });

  it('a deeply nested body does not overflow the stack', () => {
    const deep = `${'['.repeat(100_000)}{"__proto__":{}}${']'.repeat(100_000)}`;
    expect(jsonBodyProblem(JSON.parse(deep))).toBe('prototype');
  });
});
