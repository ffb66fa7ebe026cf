import type { Clock } from '../clock.js';
import { createSecretReader } from '../runtime/secrets.js';
import { createTokenCache } from './retrain-airflow/token-cache.js';
import type { ActionContext } from './types.js';

/** What every action run shares in one process: the credentials reader and the tokens peers issued. */
export type ActionRuntime = Pick<ActionContext, 'secrets' | 'tokens'>;

/** Built once per process, with the other adapters; credentials come from `env` (variables) or files. */
export function createActionRuntime(env: NodeJS.ProcessEnv, clock: Clock): ActionRuntime {
  return { secrets: createSecretReader(env), tokens: createTokenCache(clock) };
}
