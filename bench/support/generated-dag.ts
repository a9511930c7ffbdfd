/**
 * The benchmarks' generated project: N cheap FULL models on a daily cron in a deterministic DAG, a
 * tenth of them roots, each other model reading one to three earlier ones.
 */

/** A deterministic DAG: model i reads up to three of the models before it. */
export function generateModels(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  const roots = Math.max(1, Math.floor(count / 10));
  let seed = 42;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed;
  };
  const name = (i: number) => `bench.m${String(i).padStart(5, '0')}`;
  for (let i = 0; i < count; i++) {
    let select: string;
    if (i < roots) {
      select = `SELECT range AS id, range % 7 AS k FROM range(100)`;
    } else {
      const parents = [...new Set([next() % i, next() % i, next() % i].slice(0, 1 + (next() % 3)))];
      select =
        `SELECT p0.id, p0.k${parents.length > 1 ? ' + p1.k AS k' : ''} FROM ${name(parents[0]!)} AS p0` +
        (parents.length > 1 ? ` JOIN ${name(parents[1]!)} AS p1 ON p0.id = p1.id` : '') +
        (parents.length > 2 ? ` WHERE p0.id IN (SELECT id FROM ${name(parents[2]!)})` : '');
    }
    files[`m${String(i).padStart(5, '0')}.sql`] =
      `MODEL (name ${name(i)}, kind FULL, cron '@daily');\n${select}\n`;
  }
  return files;
}
