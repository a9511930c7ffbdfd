/**
 * The one error for bad configuration. Its message is a single line that names the variable, the
 * form it expects and, unless the value may be secret, the value it got:
 * `SLUICE_API_PORT: expected a port number 1–65535, got "x"`.
 */
export class ConfigurationError extends Error {
  /** the variable at fault; undefined when the problem is between variables. */
  readonly variable: string | undefined;

  constructor(message: string, variable?: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'ConfigurationError';
    this.variable = variable;
  }
}

/** A bad value: the variable, what it expects, and the value unless it may be secret. */
export function invalidValue(
  variable: string,
  expected: string,
  value: string | undefined,
): ConfigurationError {
  const got = value === undefined ? '' : `, got ${JSON.stringify(value)}`;
  return new ConfigurationError(`${variable}: ${expected}${got}`, variable);
}
