import { describe, expect, it } from 'vitest';
import { readConnectionYaml } from '../../api/connection-input.ts';
import { ApiError } from '../../api/errors.ts';

const WAREHOUSE =
  'type: postgres\nhost: db.internal\ndatabase: analytics\nuser: sluice\npassword: s3cret-pw\n';

function refusal(yaml: string): ApiError {
  try {
    readConnectionYaml('warehouse', yaml);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected the connection to be refused');
}

describe('a managed connection is checked with the connection schema', () => {
  it('names the field of each bad setting, never quoting the password', () => {
    const cases: Array<[string, string, string]> = [
      [
        `${WAREHOUSE}sslmode: always\n`,
        'sslmode',
        'yaml: gateway "warehouse": sslmode: must be one of disable, allow, prefer, require, verify-full, got "always"',
      ],
      [
        `${WAREHOUSE}token: abc\n`,
        'token',
        'yaml: gateway "warehouse": token: unknown setting; expected one of host, port, database, user, password, schema, sslmode, connect_timeout, concurrent_tasks, keepalives_idle, role, application_name',
      ],
      [
        `${WAREHOUSE}pre_ping: maybe\n`,
        'pre_ping',
        'yaml: gateway "warehouse": pre_ping: must be true or false, got "maybe"',
      ],
      [
        'type: postgres\nhost: db.internal\ndatabase: analytics\npassword: s3cret-pw\n',
        'user',
        'yaml: gateway "warehouse": user: missing',
      ],
      [
        'type: duckdb\nextensions: [json, "h3; x"]\n',
        'extensions[1]',
        'yaml: gateway "warehouse": extensions[1]: must be an extension name (letters, digits, _), got "h3; x"',
      ],
      [
        `${WAREHOUSE}password: [1, 2]\n`.replace('password: s3cret-pw\n', ''),
        'password',
        'yaml: gateway "warehouse": password: must be a string',
      ],
    ];
    for (const [yaml, key, message] of cases) {
      const error = refusal(yaml);
      expect(error.status, yaml).toBe(422);
      expect(error.message, yaml).toBe(message);
      expect(error.details, yaml).toEqual({ key });
      expect(error.message).not.toContain('s3cret-pw');
    }
  });

  it('reads what SQLMesh reads: text for integers and booleans, a number where text is expected', () => {
    const input = readConnectionYaml(
      'warehouse',
      `${WAREHOUSE}port: '6543'\npre_ping: 'yes'\nschema: 2024\n`,
    );
    expect(input.settings).toMatchObject({ type: 'postgres', port: 6543, schema: '2024' });
    expect(input).toMatchObject({ type: 'postgres', host: 'db.internal' });
  });
});
