import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDeps } from '../app-deps.js';

/**
 * The page shows text that attackers write (alert labels and annotations) to people holding operator tokens.
 * Rendering it as text is the first defence; this policy is the second: only the bundle's own script and
 * stylesheet run, no inline script or style, no plugin, no framing, no form posting anywhere, and (Trusted
 * Types) no string ever reaches an HTML sink such as innerHTML. API calls go to this origin only.
 */
export const consoleCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** Sent with every console response (the page and its assets). */
export const consoleHeaders = {
  'content-security-policy': consoleCsp,
  'x-content-type-options': 'nosniff',
  // frame-ancestors for current browsers, X-Frame-Options for the rest: no clickjacking of Approve.
  'x-frame-options': 'DENY',
  // Hash routes (#/heals/...) never leave the page, and neither does anything else.
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
} as const;

const notBuilt =
  'The operator console is not built in this installation.\n' +
  'Run `npm run build` (it bundles web/ into dist/console) and restart salve.\n';

function withHeaders(reply: FastifyReply): FastifyReply {
  return reply.headers(consoleHeaders);
}

/** GET / and its assets. Public: the page holds no data; every call it makes carries the operator's token. */
export function consolePageRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { index, assets } = deps.consoleAssets;
  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    if (!index) {
      return withHeaders(reply)
        .status(503)
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send(notBuilt);
    }
    // Always revalidated: after an upgrade the page must name the new bundle.
    return withHeaders(reply)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(index);
  });

  app.get('/console/:file', { schema: { hide: true } }, async (request, reply) => {
    const { file } = request.params as { file: string };
    const asset = assets.get(file);
    if (!asset) {
      return withHeaders(reply)
        .status(404)
        .type('text/plain; charset=utf-8')
        .send(`no console file ${file.slice(0, 100)}\n`);
    }
    // Names carry their content hash: a cached copy is never stale.
    return withHeaders(reply)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .type(asset.type)
      .send(asset.body);
  });
}
