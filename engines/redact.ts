/**
 * Scrubbing of warehouse credentials from text that leaves an engine (error messages, statement
 * text). Every known secret of a gateway is replaced wherever it appears, and credential-looking
 * fragments (`user:secret@host` in URLs, `password=...` pairs) are masked even when the secret is
 * not known, so a driver message quoting a connection string cannot leak it.
 */

export const REDACTED = '[redacted]';

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@]+)@/gi;
const PASSWORD_PAIR = /\b(password|passwd|pwd)(\s*[=:]\s*)('[^']*'|"[^"]*"|[^\s,;&]+)/gi;

export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  const known = secrets.filter((secret) => secret.length > 0).sort((a, b) => b.length - a.length);
  for (const secret of known) {
    result = result.split(secret).join(REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) result = result.split(encoded).join(REDACTED);
  }
  return result
    .replace(URL_CREDENTIALS, `$1${REDACTED}@`)
    .replace(PASSWORD_PAIR, (_match, key: string, separator: string) => `${key}${separator}${REDACTED}`);
}

/** A scrubber bound to one gateway's secrets. */
export type Redactor = (text: string) => string;

export function redactorFor(secrets: readonly string[]): Redactor {
  const copy = [...secrets];
  return (text) => redactSecrets(text, copy);
}
