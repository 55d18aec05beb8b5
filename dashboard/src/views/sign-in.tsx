import { useState } from 'preact/hooks';
import { api, ApiError, Stats } from '../api';
import { errorText } from '../format';

/** Checks the token against an admin-only route before keeping it. */
export function SignIn({ notice, onSignedIn }: { notice?: string; onSignedIn: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api<Stats>('/v1/stats', { token });
      onSignedIn(token);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 401
          ? 'Wrong admin token: Brain did not accept it.'
          : failure instanceof ApiError && failure.status === 403
            ? 'This is an agent token; the dashboard needs the admin token (BRAIN_ADMIN_TOKEN).'
            : `Could not sign in: ${errorText(failure)}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>Brain dashboard</h1>
      {notice && !error && (
        <p class="error" role="alert">
          {notice}
        </p>
      )}
      <form onSubmit={(event) => void submit(event)} aria-describedby={error ? 'sign-in-error' : undefined}>
        <label for="admin-token">Admin token</label>
        <input
          id="admin-token"
          type="password"
          autoComplete="current-password"
          required
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
          aria-invalid={error ? true : undefined}
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        )}
      </form>
      <p class="hint">
        The token is kept in this tab's session storage only, and forgotten when the tab closes.
      </p>
    </main>
  );
}
