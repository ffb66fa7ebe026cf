import fs from 'node:fs/promises';
import { ActionFailed } from '../errors.js';

/** Where a credential comes from: policies name an environment variable or a file, never the secret itself. */
export type SecretRef = { env: string } | { file: string };

export type SecretReader = {
  read(ref: SecretRef): Promise<string>;
};

/** Reads credentials at run time, so rotating a mounted Secret needs no restart. */
export function createSecretReader(env: NodeJS.ProcessEnv): SecretReader {
  return {
    async read(ref) {
      if ('env' in ref) {
        const value = env[ref.env];
        if (value === undefined || value === '') {
          throw new ActionFailed('SALVE_ACTION_FAILED', `credential variable ${ref.env} is not set`, {
            retryable: false,
          });
        }
        return value;
      }
      try {
        return (await fs.readFile(ref.file, 'utf8')).trim();
      } catch (cause) {
        throw new ActionFailed('SALVE_ACTION_FAILED', `credential file ${ref.file} cannot be read`, {
          cause,
          retryable: false,
        });
      }
    },
  };
}
