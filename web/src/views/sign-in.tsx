import { useState } from 'preact/hooks';
import type { WhoAmI } from '../../../src/http/api-types.js';
import { ApiError, createApi } from '../api.js';

/** What a refused sign-in means, in the operator's words. */
function refusal(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Sign-in failed.';
  if (error.status === 401) return 'salve did not recognise this token.';
  if (error.status === 403) return `This token cannot use the console: ${error.message}.`;
  if (error.status === 0) return 'salve did not answer. Is it running?';
  return `Sign-in failed: ${error.message}`;
}

export function SignIn(props: { notice: string | null; onSignedIn: (token: string, who: WhoAmI) => void }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    const value = token.trim();
    if (!value) {
      setError('Paste a token first.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const who = await createApi(value).get<WhoAmI>('/v1/whoami');
      props.onSignedIn(value, who);
    } catch (err) {
      setError(refusal(err));
      setBusy(false);
    }
  }

  return (
    <main id="main" class="sign-in">
      <h1 tabIndex={-1}>salve</h1>
      <p>
        Sign in with a salve API token. It is kept for this tab only and sent with each request; closing the
        tab forgets it.
      </p>
      {props.notice && (
        <p class="note note-wait" role="status">
          {props.notice}
        </p>
      )}
      <form onSubmit={submit} class="stack">
        <p class="field">
          <label for="token">Token</label>
          <input
            id="token"
            type="password"
            autoComplete="off"
            spellcheck={false}
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            aria-describedby={error ? 'sign-in-error' : undefined}
            aria-invalid={error ? true : undefined}
          />
        </p>
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy}>
            Sign in
          </button>
        </div>
        {error && (
          <p id="sign-in-error" class="note note-bad" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
