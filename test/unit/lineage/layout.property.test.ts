/**
 * The lineage layout over random DAGs: layers follow the edges, nodes never overlap, every node is
 * placed once, routes join the nodes they connect, the sweeps never add crossings, and the output
 * depends only on the graph, not on the order it is given in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineageCycleError, type LineageGraph, layoutLineage } from '../../../core/lineage/layout.ts';

/** A DAG: edges only go from an earlier to a later node of a random order, with names unrelated to it. */
const dag: fc.Arbitrary<LineageGraph> = fc
  .integer({ min: 0, max: 40 })
  .chain((n) =>
    fc.record({
      names: fc.uniqueArray(fc.stringMatching(/^[a-z]{1,3}\.[a-z0-9_]{1,6}$/), {
        minLength: n,
        maxLength: n,
      }),
      pairs: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: n * 3 }),
    }),
  )
  .map(({ names, pairs }) => ({
    nodes: names,
    edges:
      names.length < 2
        ? []
        : pairs
            .map(([a, b]) => [a % names.length, b % names.length] as const)
            .filter(([a, b]) => a !== b)
            .map(([a, b]) => [names[Math.min(a, b)]!, names[Math.max(a, b)]!] as const),
  }));

const shuffled = <T>(items: readonly T[], seed: number): T[] =>
  items
    .map((item, i) => ({ item, key: (i * 2654435761 + seed) % 4294967291 }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.item);

describe('layoutLineage properties', () => {
  it('every edge goes to a later layer, and each node is one layer after its deepest parent', () => {
    fc.assert(
      fc.property(dag, (graph) => {
        const layout = layoutLineage(graph);
        const layer = new Map(layout.nodes.map((n) => [n.id, n.layer]));
        for (const [from, to] of graph.edges) expect(layer.get(from)!).toBeLessThan(layer.get(to)!);
        for (const node of layout.nodes) {
          const parents = graph.edges.filter(([, to]) => to === node.id).map(([from]) => layer.get(from)!);
          expect(node.layer).toBe(parents.length === 0 ? 0 : Math.max(...parents) + 1);
        }
      }),
    );
  });

  it('places every node once, inside the drawing, and no two overlap', () => {
    fc.assert(
      fc.property(dag, (graph) => {
        const layout = layoutLineage(graph);
        expect(layout.nodes.map((n) => n.id)).toEqual([...graph.nodes].sort());
        for (const n of layout.nodes) {
          expect(n.x).toBeGreaterThanOrEqual(0);
          expect(n.y).toBeGreaterThanOrEqual(0);
          expect(n.x + n.width).toBeLessThanOrEqual(layout.width);
          expect(n.y + n.height).toBeLessThanOrEqual(layout.height + 0.1);
        }
        for (let i = 0; i < layout.nodes.length; i++) {
          for (let j = i + 1; j < layout.nodes.length; j++) {
            const a = layout.nodes[i]!;
            const b = layout.nodes[j]!;
            const apart =
              a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
            expect(apart, `${a.id} and ${b.id} overlap`).toBe(true);
          }
        }
      }),
    );
  });

  it('routes each edge once, from its parent to its child, always rightwards', () => {
    fc.assert(
      fc.property(dag, (graph) => {
        const layout = layoutLineage(graph);
        const byId = new Map(layout.nodes.map((n) => [n.id, n]));
        const unique = new Set(graph.edges.map(([a, b]) => `${a} ${b}`));
        expect(layout.edges.map((e) => `${e.from} ${e.to}`).sort()).toEqual([...unique].sort());
        for (const edge of layout.edges) {
          const from = byId.get(edge.from)!;
          const to = byId.get(edge.to)!;
          expect(edge.points[0]).toEqual({ x: from.x + from.width, y: from.y + from.height / 2 });
          expect(edge.points.at(-1)).toEqual({ x: to.x, y: to.y + to.height / 2 });
          expect(edge.points).toHaveLength(2 + 2 * (to.layer - from.layer - 1));
          for (let i = 1; i < edge.points.length; i++)
            expect(edge.points[i]!.x).toBeGreaterThan(edge.points[i - 1]!.x);
        }
      }),
    );
  });

  it('gives the same drawing whatever order the nodes and edges come in', () => {
    fc.assert(
      fc.property(dag, fc.nat(), (graph, seed) => {
        const first = layoutLineage(graph);
        expect(layoutLineage(graph)).toEqual(first);
        expect(
          layoutLineage({ nodes: shuffled(graph.nodes, seed), edges: shuffled(graph.edges, seed + 1) }),
        ).toEqual(first);
      }),
    );
  });

  it('never has more crossings after the sweeps than before them', () => {
    fc.assert(
      fc.property(dag, (graph) => {
        expect(layoutLineage(graph).crossings).toBeLessThanOrEqual(
          layoutLineage(graph, { sweeps: 0 }).crossings,
        );
      }),
    );
  });

  it('names a real cycle when one edge closes a loop', () => {
    fc.assert(
      fc.property(
        dag.filter((g) => g.edges.length > 0),
        fc.nat(),
        (graph, pick) => {
          // a path's end back to its start: follow edges from an edge's child while there are any
          const [start, next] = graph.edges[pick % graph.edges.length]!;
          let end = next;
          for (
            let hop = graph.edges.find(([a]) => a === end);
            hop;
            hop = graph.edges.find(([a]) => a === end)
          ) {
            end = hop[1];
          }
          const edges = [...graph.edges, [end, start] as const];
          const thrown = (() => {
            try {
              layoutLineage({ nodes: graph.nodes, edges });
            } catch (err) {
              return err;
            }
          })();
          expect(thrown).toBeInstanceOf(LineageCycleError);
          const cycle = (thrown as LineageCycleError).cycle;
          expect(cycle[0]).toBe(cycle.at(-1));
          const edgeSet = new Set(edges.map(([a, b]) => `${a} ${b}`));
          for (let i = 1; i < cycle.length; i++)
            expect(edgeSet.has(`${cycle[i - 1]} ${cycle[i]}`)).toBe(true);
        },
      ),
    );
  });
});
