import { isConflict } from '../../kube/api-errors.js';

/**
 * Runs `attempt` (which must re-read what it acts on) again when the API server answers 409 Conflict,
 * up to `attempts` times in all; the last conflict is rethrown, still retryable, for the engine's backoff.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, attempts = 3): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isConflict(err) || tried >= attempts) throw err;
    }
  }
}
