/**
 * Environment name patterns (API tokens, notification webhooks): an environment name where `*`
 * stands for any run of characters (`prod`, `dev_*`, `pr_*`, `*`).
 */

const PATTERN = /^[a-z0-9_*]+$/;

/** Why `pattern` is not a valid environment pattern, or undefined when it is. */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return 'an environment pattern cannot be empty';
  if (!PATTERN.test(pattern)) {
    return `environment pattern "${pattern}" may only contain lower-case letters, digits, _ and *`;
  }
  return undefined;
}

function toRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function patternMatches(pattern: string, environment: string): boolean {
  return toRegExp(pattern).test(environment);
}

export function anyPatternMatches(patterns: readonly string[], environment: string): boolean {
  return patterns.some((pattern) => patternMatches(pattern, environment));
}

/**
 * Whether every environment `inner` matches is also matched by `outer`. `outer` matching `inner`
 * read literally (its `*` as a plain character) is enough: each `*` of `inner` then falls inside a
 * `*` of `outer`, which absorbs whatever it stands for.
 */
export function patternCovers(outer: string, inner: string): boolean {
  return toRegExp(outer).test(inner);
}

/** Whether each of `inner` is covered by one of `outer`. */
export function patternsCover(outer: readonly string[], inner: readonly string[]): boolean {
  return inner.every((pattern) => outer.some((candidate) => patternCovers(candidate, pattern)));
}
