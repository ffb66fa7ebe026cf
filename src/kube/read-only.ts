import { ActionFailed } from '../errors.js';
import type { KubeClient } from './port.js';

const WRITES = /^(create|patch|update|replace|delete)/;

/**
 * The same client with every write refused: what a preview (`salve test`, POST /v1/policies/test) acts
 * through, so that showing what a step would do can never do it. Writes are known by their verb, so a method
 * added to the port later is covered too.
 */
export function readOnlyKube(kube: KubeClient): KubeClient {
  return new Proxy(kube, {
    get(target, property, receiver) {
      if (typeof property === 'string' && WRITES.test(property)) {
        return async (): Promise<never> => {
          throw new ActionFailed('SALVE_ACTION_REFUSED', `a preview only reads: ${property} refused`, {
            retryable: false,
          });
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
