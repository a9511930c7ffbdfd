/**
 * A process's configuration from its environment: every variable the process reads (VARIABLES'
 * `readBy`), parsed into typed values with their defaults. The first bad value stops start-up with
 * a one-line ConfigurationError that names the variable.
 */
import { ConfigurationError, invalidValue } from './configuration-error.ts';
import {
  type Reader,
  VARIABLES,
  type Values,
  type Variable,
  type VariableName,
  type VariablesOf,
} from './variables.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

/** The configuration of one reader (process), e.g. `readConfig('api', process.env)`. */
export type ConfigOf<R extends Reader> = Values<VariablesOf<R>>;

export function readConfig<R extends Reader>(reader: R, env: Environment): ConfigOf<R> {
  const names = (Object.keys(VARIABLES) as VariableName[]).filter((name) =>
    (VARIABLES[name].readBy as readonly Reader[]).includes(reader),
  );
  return readVariables(names as VariablesOf<R>[], env);
}

/** Some variables' values, in the order given; the first bad one throws. */
export function readVariables<K extends VariableName>(names: readonly K[], env: Environment): Values<K> {
  const values: Record<string, unknown> = {};
  for (const name of names) {
    const variable: Variable = VARIABLES[name];
    const raw = env[name];
    const trimmed = raw?.trim();
    const input = trimmed === '' && variable.keepEmpty !== true ? undefined : trimmed;
    const result = variable.schema.safeParse(input);
    if (!result.success) {
      const expected = result.error.issues[0]?.message ?? 'invalid value';
      throw invalidValue(name, expected, variable.secret === true ? undefined : raw);
    }
    values[name] = result.data;
  }
  return values as Values<K>;
}

export { ConfigurationError };
