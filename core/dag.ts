/**
 * The dependency graph of a project's models: every node lists the nodes it depends on (its
 * parents). Dependencies on names that are not nodes of the graph (external tables) are ignored.
 * Every traversal is deterministic: among nodes that are equally ready, names are taken in sorted
 * order, so the same project always gives the same order.
 */

export class DagCycleError extends Error {
  constructor(readonly cycle: string[]) {
    super(`dependency cycle: ${cycle.join(' -> ')}`);
    this.name = 'DagCycleError';
  }
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class Dag {
  private readonly parentsOf = new Map<string, string[]>();
  private readonly childrenOf = new Map<string, string[]>();
  private cachedOrder: string[] | undefined;

  /** `parents` maps each node to the names it depends on. */
  constructor(parents: Readonly<Record<string, readonly string[]>> | ReadonlyMap<string, readonly string[]>) {
    const entries: [string, readonly string[]][] =
      parents instanceof Map
        ? [...(parents as ReadonlyMap<string, readonly string[]>).entries()]
        : Object.entries(parents as Readonly<Record<string, readonly string[]>>);
    for (const [node] of entries) this.childrenOf.set(node, []);
    for (const [node, deps] of entries) {
      const inGraph = [...new Set(deps)].filter((d) => this.childrenOf.has(d)).sort(byName);
      this.parentsOf.set(node, inGraph);
      for (const dep of inGraph) this.childrenOf.get(dep)!.push(node);
    }
    for (const children of this.childrenOf.values()) children.sort(byName);
  }

  get nodes(): string[] {
    return [...this.parentsOf.keys()].sort(byName);
  }

  has(node: string): boolean {
    return this.parentsOf.has(node);
  }

  /** Direct parents of a node that are part of the graph, sorted by name. */
  parents(node: string): string[] {
    return [...(this.parentsOf.get(node) ?? [])];
  }

  /** Direct children of a node (nodes that depend on it), sorted by name. */
  children(node: string): string[] {
    return [...(this.childrenOf.get(node) ?? [])];
  }

  /**
   * Every node after all of its parents; among nodes whose parents are all placed, the smallest
   * name comes first. Throws `DagCycleError` (with the cycle's path) when there is a cycle.
   */
  topologicalOrder(): string[] {
    if (this.cachedOrder) return [...this.cachedOrder];
    const remaining = new Map<string, number>();
    for (const [node, deps] of this.parentsOf) remaining.set(node, deps.length);
    const ready = new NameHeap();
    for (const [node, n] of remaining) if (n === 0) ready.push(node);
    const order: string[] = [];
    for (let node = ready.pop(); node !== undefined; node = ready.pop()) {
      order.push(node);
      for (const child of this.childrenOf.get(node)!) {
        const left = remaining.get(child)! - 1;
        remaining.set(child, left);
        if (left === 0) ready.push(child);
      }
    }
    if (order.length < this.parentsOf.size) throw new DagCycleError(this.findCycle()!);
    this.cachedOrder = order;
    return [...order];
  }

  /**
   * A cycle as a path along dependency edges that starts and ends at the same node
   * (`['a', 'b', 'a']`: a depends on b, b depends on a), starting at the smallest name in the cycle;
   * undefined when the graph has none.
   */
  findCycle(): string[] | undefined {
    const state = new Map<string, 'active' | 'done'>();
    const path: string[] = [];
    const visit = (node: string): string[] | undefined => {
      const seen = state.get(node);
      if (seen === 'done') return undefined;
      if (seen === 'active') return path.slice(path.indexOf(node));
      state.set(node, 'active');
      path.push(node);
      for (const dep of this.parentsOf.get(node)!) {
        const found = visit(dep);
        if (found) return found;
      }
      path.pop();
      state.set(node, 'done');
      return undefined;
    };
    for (const node of this.nodes) {
      const cycle = visit(node);
      if (cycle) {
        const first = cycle.indexOf([...cycle].sort(byName)[0]!);
        const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
        return [...rotated, rotated[0]!];
      }
    }
    return undefined;
  }

  /** Nodes that depend, directly or not, on any of `names` (the names themselves excluded), in topological order. */
  downstreamOf(names: Iterable<string>): string[] {
    return this.reachable(names, this.childrenOf);
  }

  /** Nodes that any of `names` depends on, directly or not (the names themselves excluded), in topological order. */
  upstreamOf(names: Iterable<string>): string[] {
    return this.reachable(names, this.parentsOf);
  }

  private reachable(names: Iterable<string>, edges: Map<string, string[]>): string[] {
    const start = new Set(names);
    const found = new Set<string>();
    const stack = [...start];
    while (stack.length > 0) {
      for (const next of edges.get(stack.pop()!) ?? []) {
        if (!found.has(next)) {
          found.add(next);
          stack.push(next);
        }
      }
    }
    for (const name of start) found.delete(name);
    return this.topologicalOrder().filter((node) => found.has(node));
  }
}

/** A binary min-heap of names, so ordering a graph stays O(n log n) however many nodes are ready at once. */
class NameHeap {
  private readonly items: string[] = [];

  push(name: string): void {
    const items = this.items;
    items.push(name);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (byName(items[parent]!, items[i]!) <= 0) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }

  pop(): string | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && byName(items[left]!, items[smallest]!) < 0) smallest = left;
      if (right < items.length && byName(items[right]!, items[smallest]!) < 0) smallest = right;
      if (smallest === i) break;
      [items[smallest], items[i]] = [items[i]!, items[smallest]!];
      i = smallest;
    }
    return top;
  }
}
