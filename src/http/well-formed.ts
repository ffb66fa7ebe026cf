import { isUtf8 } from 'node:buffer';
import { errorCodes, type FastifyInstance } from 'fastify';
import { SalveError } from '../errors.js';
import { describePath, findMalformedText, jsonBodyProblem } from '../well-formed.js';

/** 400 naming where a string is malformed: `alerts[0].labels.instance: holds a lone UTF-16 surrogate ...`. */
export function malformedTextError(value: unknown, where = ''): SalveError | null {
  const found = findMalformedText(value);
  if (found === null) return null;
  return new SalveError('SALVE_REQUEST_INVALID_TEXT', `${where}${describePath(found)}: ${found.problem}`);
}

/**
 * Every JSON body is UTF-8 and every string in it, key or value, is well-formed Unicode without NUL; so is
 * every query and path parameter. Checked before any route sees the request, so no route can store a string
 * that would not read back as it was acknowledged (and sealed into the audit chain).
 */
export function requireWellFormedText(app: FastifyInstance): void {
  // Prototype poisoning is refused below, on the walk that checks every string anyway, with the error fastify's
  // parser gives it: that parser would scan the whole text twice with regular expressions first.
  const parseJson = app.getDefaultJsonParser('ignore', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    // A byte sequence that is not UTF-8 would be decoded to U+FFFD: refused, not silently replaced.
    if (!isUtf8(bytes)) {
      done(new SalveError('SALVE_REQUEST_INVALID_TEXT', 'the body is not valid UTF-8'), undefined);
      return;
    }
    parseJson(request, bytes.toString('utf8'), (err, parsed) => {
      if (err) return done(err, undefined);
      const problem = jsonBodyProblem(parsed);
      if (problem === 'prototype') return done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
      const malformed = problem === 'text' ? malformedTextError(parsed) : null;
      if (malformed) return done(malformed, undefined);
      done(null, parsed);
    });
  });
  app.addHook('preValidation', async (request) => {
    const malformed =
      malformedTextError(request.query, 'query ') ?? malformedTextError(request.params, 'path ');
    if (malformed) throw malformed;
  });
}
