import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SalveError } from '../errors.js';
import { type AuditKey, auditKeyFrom } from '../store/audit-chain.js';

export type LoadedAuditKey = {
  key: AuditKey;
  file: string;
  generated: boolean;
  /** Group or others may read the file: someone who can read it can re-seal a tampered chain. */
  exposed: boolean;
};

function parseKey(file: string, text: string): AuditKey {
  const secret = text.trim();
  // deploy/ ships `replace-with-the-output-of-openssl-rand-hex-32` until someone makes a real key.
  if (secret.startsWith('replace-with')) {
    throw new SalveError(
      'SALVE_CONFIG_INVALID',
      `${file} holds the placeholder audit key from deploy/: generate one with \`openssl rand -hex 32\``,
    );
  }
  if (secret.length < 32) {
    throw new SalveError(
      'SALVE_CONFIG_INVALID',
      `${file}: the audit key must be at least 32 characters (e.g. \`openssl rand -hex 32\`)`,
    );
  }
  return auditKeyFrom(Buffer.from(secret, 'utf8'));
}

/**
 * Reads SALVE_AUDIT_KEY_FILE. When it does not exist and `generate` allows it (one replica, SQLite), writes a
 * new random key with mode 0600, as the tokens file is. With PostgreSQL every replica must seal with the same
 * key, so a missing file is an error: each replica generating its own would fork the chain's seals.
 */
export function loadOrCreateAuditKey(file: string, options: { generate: boolean }): LoadedAuditKey {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SalveError('SALVE_CONFIG_INVALID', `cannot read the audit key ${file}`, { cause: err });
    }
    if (!options.generate) {
      throw new SalveError(
        'SALVE_CONFIG_INVALID',
        `the audit key ${file} does not exist. With PostgreSQL every replica must seal the audit chain with the ` +
          'same key: create it once (`openssl rand -hex 32`), store it as a Kubernetes Secret and point ' +
          'SALVE_AUDIT_KEY_FILE at the mounted file (docs/security.md)',
      );
    }
    const body = `${randomBytes(32).toString('hex')}\n`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      // wx: never overwrite a key another process just wrote; 0600: only salve's user reads it.
      fs.writeFileSync(file, body, { mode: 0o600, flag: 'wx' });
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SalveError('SALVE_CONFIG_INVALID', `cannot write the audit key ${file}`, { cause });
      }
      return loadOrCreateAuditKey(file, { generate: false });
    }
    return { key: parseKey(file, body), file, generated: true, exposed: false };
  }
  const mode = fs.statSync(file).mode;
  return { key: parseKey(file, text), file, generated: false, exposed: (mode & 0o077) !== 0 };
}
