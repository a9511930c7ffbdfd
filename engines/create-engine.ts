/**
 * Builds the engine a gateway's connection settings describe. Nothing connects here: engines open
 * their connections on first use.
 */

import type { GatewayConnection } from '../core/project/types.ts';
import { type EngineSettings, type ParseOptions, parseGatewayConnection } from './config.ts';
import { DuckDBEngine } from './duckdb.ts';
import type { Engine } from './engine.ts';
import { PostgresEngine } from './postgres.ts';

export function createEngine(
  gateway: string,
  connection: GatewayConnection | Readonly<Record<string, unknown>>,
  options: ParseOptions,
): Engine {
  return engineFor(parseGatewayConnection(gateway, connection, options));
}

export function engineFor(settings: EngineSettings): Engine {
  return settings.type === 'postgres' ? new PostgresEngine(settings) : new DuckDBEngine(settings);
}
