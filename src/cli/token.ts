import { loadConfig, type ParsedCommandLine } from '../config/load.js';
import { createToken, listTokens, revokeToken } from '../config/token-file.js';
import { SalveError } from '../errors.js';

const USAGE =
  'usage: salve token create --name NAME --scopes SCOPE[,SCOPE] | salve token list | salve token revoke NAME';

/**
 * `salve token create|list|revoke` on the tokens file of the configuration (SALVE_TOKENS_FILE or
 * --tokens-file). The token is printed once, alone on stdout (so `TOKEN=$(salve token create ...)` works);
 * what happened goes to stderr. A running salve reads the file again when it changes.
 */
export function token(
  cmd: ParsedCommandLine,
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): number {
  const { tokensFile } = loadConfig(env, cmd.raw);
  const [verb, target] = cmd.positionals;
  switch (verb) {
    case 'create': {
      const name = cmd.extra.name as string | undefined;
      const scopes = cmd.extra.scopes as string | undefined;
      if (!name || !scopes) throw new SalveError('SALVE_REQUEST_INVALID', USAGE);
      const created = createToken(tokensFile, name, scopes);
      out.write(`${created.token}\n`);
      err.write(
        `created token "${name}" (${created.scopes.join(', ')}); ${tokensFile} keeps only its SHA-256 digest. ` +
          'This is the only time the token is shown.\n',
      );
      return 0;
    }
    case 'list': {
      for (const t of listTokens(tokensFile)) {
        const plain = t.stored === 'plain' ? '  PLAIN TOKEN IN THE FILE: replace it with a digest' : '';
        out.write(`${t.name}\t${t.scopes.join(',')}\t${tokensFile}:${t.line}${plain}\n`);
      }
      return 0;
    }
    case 'revoke': {
      const name = target ?? (cmd.extra.name as string | undefined);
      if (!name) throw new SalveError('SALVE_REQUEST_INVALID', USAGE);
      revokeToken(tokensFile, name);
      err.write(`revoked token "${name}" from ${tokensFile}\n`);
      return 0;
    }
    default:
      throw new SalveError('SALVE_REQUEST_INVALID', USAGE);
  }
}
