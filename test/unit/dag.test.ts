import { describe, expect, it } from 'vitest';
import { Dag, DagCycleError } from '../../core/dag.ts';

describe('Dag', () => {
  it('orders every node after its parents, taking ready nodes by name', () => {
    const dag = new Dag({
      'm.report': ['s.orders', 's.customers'],
      's.orders': ['raw.orders'],
      's.customers': [],
      'a.first': [],
      'z.last': ['m.report'],
    });
    // raw.orders is not a node: an external table, ignored.
    expect(dag.topologicalOrder()).toEqual(['a.first', 's.customers', 's.orders', 'm.report', 'z.last']);
  });

  it('gives the same order whatever the insertion order', () => {
    const edges: [string, string[]][] = [
      ['c', ['a']],
      ['b', ['a']],
      ['a', []],
      ['d', ['b', 'c']],
    ];
    const forward = new Dag(new Map(edges)).topologicalOrder();
    const backward = new Dag(new Map([...edges].reverse())).topologicalOrder();
    expect(forward).toEqual(['a', 'b', 'c', 'd']);
    expect(backward).toEqual(forward);
  });

  it('orders a wide graph quickly', () => {
    const parents: Record<string, string[]> = {};
    for (let i = 0; i < 20_000; i++)
      parents[`s.m${String(i).padStart(5, '0')}`] = i > 0 ? [`s.m${String(i - 1).padStart(5, '0')}`] : [];
    for (let i = 0; i < 20_000; i++) parents[`r.root${i}`] = [];
    const started = performance.now();
    const order = new Dag(parents).topologicalOrder();
    expect(order).toHaveLength(40_000);
    expect(order.indexOf('s.m00001')).toBeGreaterThan(order.indexOf('s.m00000'));
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('finds a cycle and returns its path starting at the smallest name', () => {
    const dag = new Dag({ 's.c': ['s.a'], 's.a': ['s.b'], 's.b': ['s.c'], 's.d': ['s.a'] });
    expect(dag.findCycle()).toEqual(['s.a', 's.b', 's.c', 's.a']);
    expect(() => dag.topologicalOrder()).toThrow(new DagCycleError(['s.a', 's.b', 's.c', 's.a']));
    expect(() => dag.topologicalOrder()).toThrow('dependency cycle: s.a -> s.b -> s.c -> s.a');
  });

  it('reports a node that depends on itself as a cycle of one', () => {
    expect(new Dag({ 's.a': ['s.a'] }).findCycle()).toEqual(['s.a', 's.a']);
  });

  it('has no cycle in an acyclic graph', () => {
    expect(new Dag({ a: [], b: ['a'], c: ['a', 'b'] }).findCycle()).toBeUndefined();
  });

  it('lists downstream and upstream nodes in topological order, without the starting nodes', () => {
    const dag = new Dag({ a: [], b: ['a'], c: ['b'], d: ['a'], e: [], f: ['c', 'e'] });
    expect(dag.downstreamOf(['a'])).toEqual(['b', 'c', 'd', 'f']);
    expect(dag.downstreamOf(['c', 'e'])).toEqual(['f']);
    expect(dag.downstreamOf(['f'])).toEqual([]);
    expect(dag.upstreamOf(['f'])).toEqual(['a', 'b', 'c', 'e']);
    expect(dag.upstreamOf(['d', 'b'])).toEqual(['a']);
    expect(dag.downstreamOf(['not-a-node'])).toEqual([]);
  });

  it('exposes direct parents and children sorted by name', () => {
    const dag = new Dag({ a: [], b: [], c: ['b', 'a', 'a', 'x'], d: ['a'] });
    expect(dag.parents('c')).toEqual(['a', 'b']);
    expect(dag.children('a')).toEqual(['c', 'd']);
    expect(dag.has('x')).toBe(false);
    expect(dag.nodes).toEqual(['a', 'b', 'c', 'd']);
  });
});
