/**
 * What never reaches a log line: the value of any key named like a secret, wherever it sits in what is logged.
 *
 * One rule, applied by the logger (logger.ts) to every field of a line, every child logger's bindings and every
 * `%j`/`%o` argument: a key whose name, without regard to case, is one of `secretKeys` has its value replaced
 * by `[redacted]`, at any depth up to `maxDepth`, inside plain objects, arrays and errors (their own fields,
 * which pino's error serializer writes).
 * Nothing logged is changed in place: what holds a secret is copied, the rest is shared.
 *
 * Why not pino's `redact` paths: its wildcards (`*.token`) ran a path interpreter over every field of every
 * line, the message included (about 10 us a line); this walk costs a set lookup per key. It also covers
 * more: any depth, arrays, and `Authorization` as well as `authorization`.
 */

export const censor = '[redacted]';

/** Secret names: tokens, passwords, signing secrets, webhook and Slack response URLs, PagerDuty routing keys. */
export const secretKeys: ReadonlySet<string> = new Set(
  [
    'authorization',
    'cookie',
    'x-slack-signature',
    'token',
    'password',
    'secret',
    'signingSecret',
    'webhookUrl',
    'routingKey',
    'routing_key',
    'responseUrl',
    'response_url',
    'slackWebhookUrl',
    'slackSigningSecret',
    'pagerdutyRoutingKey',
  ].map((k) => k.toLowerCase()),
);

/** Deeper than this, an object is logged as it is: nothing salve logs nests that far. */
export const maxDepth = 8;

const isSecret = (key: string) => secretKeys.has(key.toLowerCase());

/** Plain objects and errors are looked into; class instances (a request, a socket) go to their serializers. */
function looksInto(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || value instanceof Error;
}

/**
 * A copy keeping the prototype and every own property (an error's message and stack are not enumerable), each
 * configurable, so that a frozen object's secret can still be replaced in the copy.
 */
function copyOf(value: object): Record<string, unknown> {
  const properties = Object.getOwnPropertyDescriptors(value);
  for (const property of Object.values(properties)) property.configurable = true;
  // From Node 21 an error's stack is an accessor reading the error's own internal slot: on the copy it would
  // read nothing. The copy gets the original's stack, as text.
  const stack = properties.stack;
  if (value instanceof Error && stack?.get !== undefined) {
    properties.stack = {
      value: value.stack,
      writable: true,
      enumerable: stack.enumerable,
      configurable: true,
    };
  }
  return Object.create(Object.getPrototypeOf(value), properties);
}

/** Defined, never assigned: a key `__proto__` (from parsed JSON) must stay a key. */
function put(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function scrubArray(value: readonly unknown[], depth: number): readonly unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    const scrubbed = scrubAt(item, depth + 1);
    if (scrubbed !== item) {
      copy ??= value.slice();
      copy[i] = scrubbed;
    }
  }
  return copy ?? value;
}

function scrubAt(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth > maxDepth) return value;
  if (Array.isArray(value)) return scrubArray(value, depth);
  if (!looksInto(value)) return value;
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const scrubbed = isSecret(key) ? censor : scrubAt(item, depth + 1);
    if (scrubbed !== item) {
      copy ??= copyOf(record);
      put(copy, key, scrubbed);
    }
  }
  return copy ?? value;
}

/** `value` with every secret replaced by `[redacted]`; the same object when it holds none. */
export function scrub<T>(value: T): T {
  return scrubAt(value, 0) as T;
}
