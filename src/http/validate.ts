import { z } from 'zod';
import { type ErrorCode, SalveError } from '../errors.js';

export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

/** Validate at the edge: the first problems are named with their path, e.g. `alerts[0].startsAt: ...`. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  code: ErrorCode = 'SALVE_REQUEST_INVALID',
  where = '',
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 5)
    .map((i) => `${where}${formatIssuePath(i.path)}: ${i.message}`);
  const more = result.error.issues.length > 5 ? ` (and ${result.error.issues.length - 5} more)` : '';
  throw new SalveError(code, `${issues.join('; ')}${more}`, { details: { issues: issues.length } });
}

/**
 * A query schema as JSON Schema, for the OpenAPI document only: handlers validate with zod (errors that name the
 * field), and the app's validator compiler accepts everything.
 */
export function querySchema(schema: z.ZodObject): Record<string, unknown> {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return json;
}
