import { describe, expect, it } from 'vitest';
import { LineageCycleError, LineageInputError, layoutLineage } from '../../../core/lineage/layout.ts';

describe('layoutLineage', () => {
  it('puts each model one layer after its deepest parent, and routes a long edge through the layers between', () => {
    const layout = layoutLineage({
      nodes: ['marts.revenue', 'raw.orders', 'staging.orders', 'raw.fx'],
      edges: [
        ['raw.orders', 'staging.orders'],
        ['staging.orders', 'marts.revenue'],
        ['raw.fx', 'marts.revenue'],
      ],
    });
    const layer = Object.fromEntries(layout.nodes.map((n) => [n.id, n.layer]));
    expect(layer).toEqual({ 'raw.fx': 0, 'raw.orders': 0, 'staging.orders': 1, 'marts.revenue': 2 });
    expect(layout.layers).toBe(3);
    expect(layout.nodes.map((n) => n.id)).toEqual([
      'marts.revenue',
      'raw.fx',
      'raw.orders',
      'staging.orders',
    ]);

    const fx = layout.edges.find((e) => e.from === 'raw.fx')!;
    const [source, target] = [layout.nodes[1]!, layout.nodes[0]!];
    // right side of raw.fx, across layer 1 at one height, left side of marts.revenue
    expect(fx.points).toHaveLength(4);
    expect(fx.points[0]).toEqual({ x: source.x + source.width, y: source.y + source.height / 2 });
    expect(fx.points[1]!.x).toBe(layout.nodes[3]!.x);
    expect(fx.points[2]!.x).toBe(layout.nodes[3]!.x + layout.nodes[3]!.width);
    expect(fx.points[1]!.y).toBe(fx.points[2]!.y);
    expect(fx.points[3]).toEqual({ x: target.x, y: target.y + target.height / 2 });
    expect(layout.width).toBe(3 * 160 + 2 * 72);
  });

  it('uncrosses edges a name order would cross', () => {
    // by name the second layer reads c, d while their parents read b, a: one crossing, which a sweep removes
    const layout = layoutLineage({
      nodes: ['a', 'b', 'c', 'd'],
      edges: [
        ['a', 'd'],
        ['b', 'c'],
      ],
    });
    expect(layout.crossings).toBe(0);
    const order = Object.fromEntries(layout.nodes.map((n) => [n.id, n.order]));
    expect(order.a === order.d && order.b === order.c).toBe(true);
  });

  it('lays out nothing as an empty drawing', () => {
    expect(layoutLineage({ nodes: [], edges: [] })).toEqual({
      nodes: [],
      edges: [],
      layers: 0,
      width: 0,
      height: 0,
      crossings: 0,
    });
  });

  it('keeps one edge of a repeated pair', () => {
    const layout = layoutLineage({
      nodes: ['a', 'b'],
      edges: [
        ['a', 'b'],
        ['a', 'b'],
      ],
    });
    expect(layout.edges.map((e) => [e.from, e.to])).toEqual([['a', 'b']]);
  });

  it('names the cycle it is given instead of looping', () => {
    const run = () =>
      layoutLineage({
        nodes: ['a', 'b', 'c', 'd'],
        edges: [
          ['a', 'b'],
          ['b', 'c'],
          ['c', 'b'],
          ['c', 'd'],
        ],
      });
    expect(run).toThrow(LineageCycleError);
    expect(run).toThrow('the lineage has a cycle, so it cannot be laid out in layers: b -> c -> b');
    expect(() => layoutLineage({ nodes: ['a'], edges: [['a', 'a']] })).toThrow(
      'the lineage has a cycle, so it cannot be laid out in layers: a -> a',
    );
  });

  it('refuses an edge to a node it was not given, a node given twice and a bad size', () => {
    expect(() => layoutLineage({ nodes: ['a'], edges: [['a', 'raw.x']] })).toThrow(
      new LineageInputError('edges[0] ends at "raw.x", which is not a node'),
    );
    expect(() => layoutLineage({ nodes: ['a'], edges: [['raw.x', 'a']] })).toThrow(
      'edges[0] starts at "raw.x", which is not a node',
    );
    expect(() => layoutLineage({ nodes: ['a', 'a'], edges: [] })).toThrow('node "a" is listed twice');
    expect(() => layoutLineage({ nodes: ['a'], edges: [] }, { nodeWidth: 0 })).toThrow(
      'nodeWidth must be a number above 0, not 0',
    );
    expect(() => layoutLineage({ nodes: ['a'], edges: [] }, { sweeps: 1.5 })).toThrow(
      'sweeps must be a whole number of at least 0, not 1.5',
    );
  });

  it('lays out 2,000 models and 4,000 edges in well under a second', () => {
    // layered like a warehouse project: each model reads two models of the layers just before it
    const nodes = Array.from({ length: 2_000 }, (_, i) => `m${String(i).padStart(4, '0')}`);
    const edges: [string, string][] = [];
    for (let i = 100; i < nodes.length; i++) {
      for (const back of [1 + ((i * 7) % 97), 1 + ((i * 13) % Math.min(i, 211))])
        edges.push([nodes[i - back]!, nodes[i]!]);
    }
    const started = performance.now();
    const layout = layoutLineage({ nodes, edges });
    const took = performance.now() - started;
    expect(layout.nodes).toHaveLength(2_000);
    expect(layout.edges.length).toBeGreaterThan(3_700);
    expect(took).toBeLessThan(1_000);
  });
});
