import { isUtf8 } from 'node:buffer';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { SalveError } from '../errors.js';
import { describePath, findMalformedText, jsonBodyProblem } from '../well-formed.js';

/** 400 naming where a string is malformed: `alerts[0].labels.instance: holds a lone UTF-16 surrogate ...`. */
export function malformedTextError(value: unknown, where = ''): SalveError | null {
  const found = findMalformedText(value);
  if (found === null) return null;
  return new SalveError('SALVE_REQUEST_INVALID_TEXT', `${where}${describePath(found)}: ${found.problem}`);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A route that takes its JSON body as bytes: called with them after authentication, the size limit and the
     * content type, instead of the parser; what it returns (never a value JSON could make) becomes the
     * request's body, and the route parses the bytes with `jsonBodyParser` when it needs them parsed. The
     * webhook answers a delivery it accepted before by their digest.
     */
    takeBodyBytes?: (bytes: Buffer) => object;
  }
}

/** Parses a JSON body's bytes, or throws the error naming what is wrong with them. */
export type JsonBodyParser = (request: FastifyRequest, bytes: Buffer) => unknown;

/**
 * The JSON body parser every route has: UTF-8 only, no lone surrogate or NUL in any string, no prototype key.
 * For a route that takes its body's bytes (`takeBodyBytes`) and parses them itself.
 */
export function jsonBodyParser(app: FastifyInstance): JsonBodyParser {
  // Prototype poisoning is refused below, on the walk that checks every string anyway, with the error fastify's
  // parser gives it: that parser would scan the whole text twice with regular expressions first.
  const parseJson = app.getDefaultJsonParser('ignore', 'ignore');
  return (request, bytes) => {
    // A byte sequence that is not UTF-8 would be decoded to U+FFFD: refused, not silently replaced.
    if (!isUtf8(bytes)) throw new SalveError('SALVE_REQUEST_INVALID_TEXT', 'the body is not valid UTF-8');
    // fastify's JSON parser answers synchronously.
    let result: { err: Error | null; parsed: unknown } | undefined;
    parseJson(request, bytes.toString('utf8'), (err, parsed) => {
      result = { err, parsed };
    });
    if (result === undefined) throw new Error('the JSON parser did not answer synchronously');
    if (result.err) throw result.err;
    const problem = jsonBodyProblem(result.parsed);
    if (problem === 'prototype') throw new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY();
    const malformed = problem === 'text' ? malformedTextError(result.parsed) : null;
    if (malformed) throw malformed;
    return result.parsed;
  };
}

/**
 * Every JSON body is UTF-8 and every string in it, key or value, is well-formed Unicode without NUL; so is
 * every query and path parameter. Checked before any route sees the request, so no route can store a string
 * that would not read back as it was acknowledged (and sealed into the audit chain).
 */
export function requireWellFormedText(app: FastifyInstance): void {
  const parse = jsonBodyParser(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    const take = request.routeOptions.config.takeBodyBytes;
    let parsed: unknown;
    try {
      parsed = take === undefined ? parse(request, bytes) : take(bytes);
    } catch (err) {
      done(err as Error, undefined);
      return;
    }
    done(null, parsed);
  });
  app.addHook('preValidation', async (request) => {
    const malformed =
      malformedTextError(request.query, 'query ') ?? malformedTextError(request.params, 'path ');
    if (malformed) throw malformed;
  });
}
