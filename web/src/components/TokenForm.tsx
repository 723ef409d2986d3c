/** Asks for the operator token when the tab has none, or after the API refused it (401). */
import { type FormEvent, useState } from 'react';
import { tokenProblem } from '../auth/token.js';

export function TokenForm(props: { reason?: string; onToken(token: string): void }) {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = token.trim();
    const refusal = tokenProblem(trimmed);
    if (refusal) setProblem(refusal);
    else props.onToken(trimmed);
  };
  return (
    <form className="token-form" onSubmit={submit}>
      <h1>Tidemark console</h1>
      {props.reason && (
        <p className="error" role="alert">
          {props.reason}
        </p>
      )}
      <label>
        Operator token{' '}
        <input
          type="password"
          autoComplete="off"
          value={token}
          onChange={(event) => setToken(event.target.value)}
          placeholder="tmo_…"
          size={50}
          required
        />
      </label>
      <button type="submit">Sign in</button>
      {problem && <p className="error">{problem}</p>}
      <p className="muted">
        `npm start` prints a console link that carries the token; it is kept in this tab only (sessionStorage)
        and never sent in a URL.
      </p>
    </form>
  );
}
