import { readVariables } from '../../config/read.ts';

/** The PostgreSQL server every integration test runs against (SLUICE_TEST_DATABASE_URL); never optional. */
export const TEST_DATABASE_URL = readVariables(
  ['SLUICE_TEST_DATABASE_URL'],
  process.env,
).SLUICE_TEST_DATABASE_URL;
