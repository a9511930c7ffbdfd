/**
 * Real values for body fields and query parameters named like what they hold (environment, model,
 * models, project, gateway, token patterns, times), offered to the schema generator next to the
 * values it makes up, so valid requests reach past "unknown environment" to the handlers' work.
 */
import fc from 'fast-check';
import type { RealValues } from './real-values.ts';
import type { Hint } from './schema-arbitrary.ts';

const pick = (list: () => readonly string[], fallback: string) =>
  fc.nat().map((n) => {
    const items = list();
    return items.length === 0 ? fallback : items[n % items.length]!;
  });

/** Real values for body fields and query parameters named like them. */
export function hintsOf(context: { values: RealValues; project: unknown }): Hint {
  const { values } = context;
  return (property) => {
    switch (property) {
      case 'environment':
        return fc.oneof(
          pick(() => values.environments, 'prod'),
          fc.constant('dev_fuzz'),
        );
      case 'model':
        return pick(() => values.models, 'shop.daily_orders');
      case 'models':
        return fc.array(
          pick(() => values.models, 'shop.daily_orders'),
          { maxLength: 3 },
        );
      case 'project':
        return fc.constant(structuredClone(context.project));
      case 'environments':
        return fc.constantFrom(['*'], ['prod'], ['dev*'], ['dev_*', 'prod']);
      case 'gateway':
        return fc.oneof(
          pick(() => values.connections, 'local'),
          fc.constant('local'),
        );
      case 'start':
      case 'end':
      case 'since':
      case 'until':
      case 'expiresAt':
        return fc.constantFrom<unknown>(
          '1 day ago',
          '2 hours ago',
          'now',
          '2026-01-01',
          Date.now() - 3_600_000,
        );
      default:
        return undefined;
    }
  };
}
