/**
 * Which models a model's batches wait for. Pure functions over a name → direct parents lookup.
 */

export type ParentsOf = (name: string) => readonly string[];

/**
 * The nearest models of `among` upstream of `name`: its parents that are in `among`, and, through
 * each parent that is not, that parent's nearest ones, and so on. A model of a run waits for
 * exactly these (a model between them that the run does not execute passes their data through).
 */
export function nearestUpstream(name: string, parentsOf: ParentsOf, among: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  const seen = new Set<string>();
  const stack = [...parentsOf(name)];
  while (stack.length > 0) {
    const parent = stack.pop()!;
    if (seen.has(parent)) continue;
    seen.add(parent);
    if (among.has(parent)) found.add(parent);
    else stack.push(...parentsOf(parent));
  }
  return [...found].sort();
}
