import { z } from 'zod';
import { ActionFailed } from '../../errors.js';
import { type HttpEndpoint, send } from '../http/client.js';
import type { ActionContext } from '../types.js';

// The few MLflow Model Registry calls mlflow.alias needs (REST, /api/2.0/mlflow). MLflow sends versions
// as strings; here they are numbers.

const api = '/api/2.0/mlflow';

const registeredModel = z.object({
  registered_model: z.object({
    name: z.string(),
    aliases: z.array(z.object({ alias: z.string(), version: z.coerce.number() })).default([]),
    tags: z.array(z.object({ key: z.string(), value: z.string().default('') })).default([]),
  }),
});

const versionPage = z.object({
  model_versions: z
    .array(
      z.object({
        version: z.coerce.number(),
        status: z.string().default('READY'),
        tags: z.array(z.object({ key: z.string(), value: z.string().default('') })).default([]),
      }),
    )
    .default([]),
  next_page_token: z.string().optional(),
});

export type RegisteredModel = {
  aliases: ReadonlyMap<string, number>;
  tags: ReadonlyMap<string, string>;
};

export type ModelVersion = { version: number; status: string; tags: ReadonlyMap<string, string> };

function unexpected(ep: HttpEndpoint, what: string, error: z.ZodError): ActionFailed {
  return new ActionFailed(
    'SALVE_HTTP_REQUEST_FAILED',
    `MLflow at ${ep.baseUrl} answered ${what} in an unexpected shape: ${z.prettifyError(error)}`,
    { retryable: false },
  );
}

export async function getRegisteredModel(
  ctx: ActionContext,
  ep: HttpEndpoint,
  name: string,
): Promise<RegisteredModel> {
  let data: unknown;
  try {
    ({ data } = await send(ctx, ep, {
      method: 'GET',
      path: `${api}/registered-models/get`,
      query: { name },
    }));
  } catch (err) {
    if (err instanceof ActionFailed && err.code === 'SALVE_HTTP_NOT_FOUND') {
      throw new ActionFailed(
        'SALVE_HTTP_NOT_FOUND',
        `MLflow has no registered model ${JSON.stringify(name)}: ${err.message}`,
        {
          cause: err,
          retryable: false,
          details: err.details,
        },
      );
    }
    throw err;
  }
  const parsed = registeredModel.safeParse(data);
  if (!parsed.success) throw unexpected(ep, `registered model ${name}`, parsed.error);
  const model = parsed.data.registered_model;
  return {
    aliases: new Map(model.aliases.map((a) => [a.alias, a.version])),
    tags: new Map(model.tags.map((t) => [t.key, t.value])),
  };
}

const MAX_PAGES = 100;

/** Every version of the model, following next_page_token. */
export async function listVersions(
  ctx: ActionContext,
  ep: HttpEndpoint,
  name: string,
): Promise<ModelVersion[]> {
  const versions: ModelVersion[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { data } = await send(ctx, ep, {
      method: 'GET',
      path: `${api}/model-versions/search`,
      // The schema keeps quotes out of model names, so this filter cannot be widened by a label value.
      query: { filter: `name='${name}'`, max_results: 1000, page_token: pageToken },
    });
    const parsed = versionPage.safeParse(data);
    if (!parsed.success) throw unexpected(ep, `the versions of ${name}`, parsed.error);
    versions.push(
      ...parsed.data.model_versions.map((v) => ({
        version: v.version,
        status: v.status,
        tags: new Map(v.tags.map((t) => [t.key, t.value])),
      })),
    );
    pageToken = parsed.data.next_page_token;
    if (pageToken === undefined || pageToken === '') return versions;
  }
  throw new ActionFailed(
    'SALVE_HTTP_REQUEST_FAILED',
    `MLflow listed more than ${MAX_PAGES} pages of versions of ${name}`,
    {
      retryable: false,
    },
  );
}

export async function setModelTag(
  ctx: ActionContext,
  ep: HttpEndpoint,
  name: string,
  key: string,
  value: string,
) {
  await send(ctx, ep, {
    method: 'POST',
    path: `${api}/registered-models/set-tag`,
    body: { name, key, value },
  });
}

/** A tag on one model version (`POST model-versions/set-tag`); setting it again to the same value is a no-op. */
export async function setVersionTag(
  ctx: ActionContext,
  ep: HttpEndpoint,
  name: string,
  version: number,
  key: string,
  value: string,
) {
  await send(ctx, ep, {
    method: 'POST',
    path: `${api}/model-versions/set-tag`,
    body: { name, version: String(version), key, value },
  });
}

/** Moves (or creates) the alias; MLflow answers {} and moving it to where it is already is a no-op. */
export async function setAlias(
  ctx: ActionContext,
  ep: HttpEndpoint,
  name: string,
  alias: string,
  version: number,
) {
  await send(ctx, ep, {
    method: 'POST',
    path: `${api}/registered-models/alias`,
    body: { name, alias, version: String(version) },
  });
}
