/**
 * The files `sluice init` writes: a small project in SQLMesh's format (a seed, an incremental model,
 * a full model with an audit), in the dialect of the chosen warehouse, that validates and runs as is.
 */

export type ScaffoldDialect = 'duckdb' | 'postgres';

export function scaffoldFiles(dialect: ScaffoldDialect, today: string): Record<string, string> {
  const gateway =
    dialect === 'duckdb'
      ? '  local:\n    connection:\n      type: duckdb\n      database: warehouse.duckdb\n'
      : '  local:\n    connection:\n      type: postgres\n      host: 127.0.0.1\n      port: 5432\n      database: warehouse\n      user: sluice\n      # password: set SLUICE__GATEWAYS__LOCAL__CONNECTION__PASSWORD where executors run\n';
  return {
    'config.yaml': `gateways:\n${gateway}\ndefault_gateway: local\n\nmodel_defaults:\n  dialect: ${dialect}\n  start: '${today}'\n  cron: '@daily'\n`,
    'seeds/seed_data.csv':
      'id,item_id,event_date\n1,2,2020-01-01\n2,1,2020-01-01\n3,3,2020-01-03\n4,1,2020-01-04\n5,1,2020-01-05\n6,1,2020-01-06\n7,1,2020-01-07\n',
    'models/seed_model.sql':
      "MODEL (\n  name example.seed_model,\n  kind SEED (\n    path '../seeds/seed_data.csv'\n  ),\n  columns (\n    id INTEGER,\n    item_id INTEGER,\n    event_date DATE\n  ),\n  grain (id, event_date)\n);\n",
    'models/incremental_model.sql':
      "MODEL (\n  name example.incremental_model,\n  kind INCREMENTAL_BY_TIME_RANGE (\n    time_column event_date\n  ),\n  start '2020-01-01',\n  cron '@daily',\n  grain (id, event_date)\n);\n\nSELECT\n  id,\n  item_id,\n  event_date\nFROM example.seed_model\nWHERE event_date BETWEEN @start_date AND @end_date\n",
    'models/full_model.sql':
      "MODEL (\n  name example.full_model,\n  kind FULL,\n  cron '@daily',\n  grain item_id,\n  audits (assert_positive_order_ids)\n);\n\nSELECT\n  item_id,\n  COUNT(DISTINCT id) AS num_orders\nFROM example.incremental_model\nGROUP BY item_id\n",
    'audits/assert_positive_order_ids.sql':
      'AUDIT (\n  name assert_positive_order_ids\n);\n\nSELECT *\nFROM @this_model\nWHERE item_id < 0\n',
    '.gitignore': '.sluice/\n*.duckdb\n*.duckdb.wal\n',
  };
}
