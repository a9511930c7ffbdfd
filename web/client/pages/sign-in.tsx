/**
 * Asked for when the API refuses a request for want of a valid token: the token is kept in this
 * tab's session only, and the page the user was on loads again with it.
 */
import { useState } from 'hono/jsx/dom';
import { startSession } from '../session.ts';

export function SignInPage(props: { refused: string }) {
  const [token, setToken] = useState('');
  return (
    <section class="sign-in">
      <h1>Sign in to sluice</h1>
      <p class="muted">{props.refused}</p>
      <form
        class="sign-in-form"
        onSubmit={(event: Event) => {
          event.preventDefault();
          if (token.trim()) startSession(token.trim());
        }}
      >
        <label>
          API token
          <input
            type="password"
            name="token"
            autocomplete="off"
            value={token}
            onInput={(event: Event) => setToken((event.target as HTMLInputElement).value)}
            required
          />
        </label>
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">
        An admin creates one with <code>sluice token create --name you --role viewer</code>. It is kept in
        this browser tab only, until you sign out or close it.
      </p>
    </section>
  );
}
