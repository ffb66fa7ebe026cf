import Fastify, { type FastifyInstance } from 'fastify';

export type ServerUnderTest = { app: FastifyInstance; close(): Promise<void> };

/**
 * The baseline: a fastify 5 route that parses the same JSON and answers 202. Same body limit and keep-alive
 * as salve (src/app.ts); no logger, auth, validation or store. It imports nothing from src/, so its memory
 * figures are fastify's alone.
 */
export async function startBare(): Promise<ServerUnderTest> {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, keepAliveTimeout: 75_000 });
  app.post('/v1/alertmanager', async (request, reply) => {
    const body = request.body as { alerts?: unknown[] };
    return reply.status(202).send({ status: 'accepted', alerts: { received: body.alerts?.length ?? 0 } });
  });
  return { app, close: async () => undefined };
}
