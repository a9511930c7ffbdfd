/**
 * Reads the connection an admin sends (`POST /api/connections`): a gateway name and the gateway's
 * `connection:` mapping as SQLMesh YAML. The mapping is checked with the one connection schema
 * (core/connection-schema.ts, through engines/config.ts), exactly as an executor checks the gateways
 * of its own environment, so an unknown key, a missing host or a bad port is refused before
 * anything is sealed, tested or stored; the problem names the key (`details.key`).
 *
 * Nothing here quotes the YAML back: a syntax error gives its line, column and kind only, because
 * the offending line may hold the password.
 */
import { basename } from 'node:path';
import { parseDocument } from 'yaml';
import type { ConnectionType } from '../db/schema.ts';
import { type EngineSettings, parseGatewayConnection } from '../engines/config.ts';
import { EngineConfigError } from '../engines/errors.ts';
import { CONNECTION_GATEWAY_PATTERN } from '../state/connections.ts';
import { ApiError, badRequest } from './errors.ts';

export interface ConnectionInput {
  gateway: string;
  /** the mapping to seal: what executors parse again with their own base directory. */
  connection: Record<string, unknown>;
  settings: EngineSettings;
  type: ConnectionType;
  host: string | null;
}

/**
 * Relative DuckDB paths resolve on the executor, against its working directory; here any absolute
 * folder will do for the check.
 */
const CHECK_BASE_DIR = '/';

/** The gateway name as stored: lower case (gateway names are case-insensitive, as in SQLMesh). */
export function readGatewayName(value: string): string {
  const gateway = value.trim().toLowerCase();
  if (!CONNECTION_GATEWAY_PATTERN.test(gateway)) {
    throw badRequest(
      `gateway ${JSON.stringify(value)}: expected a gateway name of letters, digits, '_', '-' and '.' ` +
        '(at most 63, starting with a letter, digit or _)',
      { field: 'gateway' },
    );
  }
  return gateway;
}

export function readConnectionYaml(gateway: string, yaml: string): ConnectionInput {
  const connection = parseMapping(yaml);
  let settings: EngineSettings;
  try {
    settings = parseGatewayConnection(gateway, connection, { baseDir: CHECK_BASE_DIR });
  } catch (error) {
    if (!(error instanceof EngineConfigError)) throw error;
    throw invalidConnection(`yaml: ${error.message}`, { key: error.key ?? null });
  }
  return { gateway, connection, settings, type: settings.type, host: hostOf(settings) };
}

function parseMapping(yaml: string): Record<string, unknown> {
  const document = parseDocument(yaml, { uniqueKeys: true });
  // the error's message quotes the line it is on: only its position and kind are used
  const [error] = document.errors;
  if (error !== undefined) {
    const position = error.linePos?.[0];
    const where = position === undefined ? '' : ` at line ${position.line}, column ${position.col}`;
    throw invalidConnection(`yaml: not valid YAML${where} (${error.code})`, {
      key: null,
      ...(position === undefined ? {} : { line: position.line, column: position.col }),
    });
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 20 });
  } catch {
    throw invalidConnection('yaml: uses more aliases than a connection needs', { key: null });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidConnection(
      'yaml: must be a mapping of connection settings (type, host, port, database, user, password, ...)',
      { key: null },
    );
  }
  const mapping = value as Record<string, unknown>;
  if (mapping.type === undefined && isMapping(mapping.connection)) {
    throw invalidConnection(
      "yaml: give the settings inside the gateway's connection: mapping (type, host, ...), not the mapping around them",
      { key: 'connection' },
    );
  }
  return mapping;
}

function hostOf(settings: EngineSettings): string | null {
  if (settings.type === 'postgres') return settings.host;
  return settings.database.startsWith(':memory:') ? settings.database : basename(settings.database);
}

function isMapping(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function invalidConnection(message: string, details: Record<string, unknown>): ApiError {
  return new ApiError(422, 'invalid_connection', message, details);
}
