/** Reading one variable in config tests: its value, or the one-line refusal that names it. */
import { expect } from 'vitest';
import { ConfigurationError } from '../../../config/configuration-error.ts';
import { readVariables } from '../../../config/read.ts';
import type { VariableName as Name } from '../../../config/variables.ts';

export const readOne = <N extends Name>(name: N, value: string | undefined) =>
  readVariables([name], value === undefined ? {} : { [name]: value })[name];

export function refusalOf(name: Name, value: string): string {
  try {
    readVariables([name], { [name]: value });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error(`expected ${name}=${value} to be refused`);
}
