import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditQuery } from '../../../core/project/audit-query.ts';
import { loadProject } from '../../../core/project/load.ts';

const ROOT = path.resolve('test/fixtures/projects/hourly-events');
const NOW = Date.parse('2025-06-15T10:30:00Z');

describe('an hourly project with config.yml (test/fixtures/projects/hourly-events)', () => {
  const project = loadProject(ROOT, { now: NOW });
  const model = (name: string) => project.models.find((m) => m.name === name)!;

  it("reads config.yml and SQLMesh's `gateway:` alias, and notes the .env file it does not read", () => {
    expect(project.config).toEqual({
      gateways: {
        pg: { connection: { type: 'postgres', host: 'localhost', port: 5432, database: 'events' } },
      },
      defaultGateway: 'pg',
      modelDefaults: { dialect: 'postgres', cron: '@hourly' },
    });
    expect(project.notices).toEqual([
      '.env: sluice does not read .env: give executors their settings as environment variables',
    ]);
  });

  it('loads models from nested folders in dependency order', () => {
    expect(project.models.map((m) => [m.name, m.location.file])).toEqual([
      ['raw.events', 'models/raw/events/events.sql'],
      ['reports.hourly_counts', 'models/reports/hourly_counts.sql'],
      ['reports.labels', 'models/reports/labels.sql'],
    ]);
  });

  it('resolves a relative start against now and gives a child without a start its parent’s start', () => {
    const twoDaysAgo = Date.parse('2025-06-13T00:00:00Z');
    expect(model('raw.events').start).toEqual({ raw: '2 days ago', ms: twoDaysAgo });
    expect(model('raw.events').intervalUnit).toBe('hour');
    expect(model('raw.events').tags).toEqual(['ingest']);
    expect(model('reports.hourly_counts').start).toEqual({ raw: '', ms: twoDaysAgo });
    // No parent and no start: the daily tick before the latest one.
    expect(model('reports.labels').start).toEqual({ raw: '', ms: Date.parse('2025-06-14T00:00:00Z') });
    expect(model('reports.labels').intervalUnit).toBe('day');
  });

  it('finds a dependency inside a FROM subquery, and none in a VALUES query', () => {
    expect(model('reports.hourly_counts').dependsOn).toEqual(['raw.events']);
    expect(model('reports.labels').dependsOn).toEqual([]);
    expect(model('reports.labels').query).toBe("VALUES (1, 'low'), (2, 'high')");
  });

  it('renders built-in audits, non-blocking variants included', () => {
    expect(model('reports.hourly_counts').audits.map((ref) => auditQuery(project.audits, ref))).toEqual([
      {
        name: 'number_of_rows',
        blocking: true,
        query:
          'SELECT COUNT(*)\nFROM (\n  SELECT 1\n  FROM @this_model\n  LIMIT 0 + 1\n) AS audit_rows\nHAVING COUNT(*) <= 0',
      },
      {
        name: 'not_null_non_blocking',
        blocking: false,
        query: 'SELECT *\nFROM @this_model\nWHERE (hour IS NULL)',
      },
    ]);
  });
});
