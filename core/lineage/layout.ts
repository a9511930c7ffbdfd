/**
 * A layered drawing of a lineage DAG (Sugiyama style), left to right: every node sits in the layer
 * of its longest path from a source, so every edge points to a later layer. An edge that spans
 * several layers passes through one dummy point per layer it crosses, so it runs between the nodes
 * of those layers rather than through them. The order of each layer comes from a few barycenter
 * sweeps, keeping the order with the fewest crossings seen; the position of each node within its
 * layer is the one closest to its neighbours' that keeps every node of the layer its distance from
 * the next (an isotonic regression, solved exactly by pooling adjacent violators).
 *
 * Pure and deterministic: the output depends only on the set of nodes and edges, not on the order
 * they are given in. A project's models cannot form a cycle (core/dag.ts refuses one), but given a
 * cycle this throws `LineageCycleError` naming it instead of looping.
 */

export interface LineageGraph {
  nodes: readonly string[];
  /** `[parent, child]`: the child reads from the parent. */
  edges: readonly (readonly [string, string])[];
}

export interface LayoutOptions {
  /** width of a node (160). */
  nodeWidth?: number;
  /** height of a node (26). */
  nodeHeight?: number;
  /** room between two layers, where edges bend (72). */
  layerGap?: number;
  /** room between two nodes of a layer (10). */
  nodeGap?: number;
  /** room an edge passing through a layer takes (4). */
  edgeGap?: number;
  /** rounds of down and up barycenter sweeps (4). */
  sweeps?: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface PlacedNode {
  id: string;
  /** 0 for a source; otherwise one more than the deepest parent's. */
  layer: number;
  /** position within the layer, from the top. */
  order: number;
  /** top left corner. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RoutedEdge {
  from: string;
  to: string;
  /** from the parent's right side to the child's left side, through each layer in between. */
  points: Point[];
}

export interface Layout {
  /** sorted by id. */
  nodes: PlacedNode[];
  /** sorted by parent, then child; duplicates dropped. */
  edges: RoutedEdge[];
  layers: number;
  width: number;
  height: number;
  /** edge crossings between adjacent layers in the chosen order. */
  crossings: number;
}

export class LineageCycleError extends Error {
  constructor(readonly cycle: string[]) {
    super(`the lineage has a cycle, so it cannot be laid out in layers: ${cycle.join(' -> ')}`);
    this.name = 'LineageCycleError';
  }
}

export class LineageInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LineageInputError';
  }
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function layoutLineage(graph: LineageGraph, options: LayoutOptions = {}): Layout {
  const nodeWidth = positive('nodeWidth', options.nodeWidth ?? 160);
  const nodeHeight = positive('nodeHeight', options.nodeHeight ?? 26);
  const layerGap = positive('layerGap', options.layerGap ?? 72);
  const nodeGap = positive('nodeGap', options.nodeGap ?? 10);
  const edgeGap = positive('edgeGap', options.edgeGap ?? 4);
  const sweeps = options.sweeps ?? 4;
  if (!Number.isInteger(sweeps) || sweeps < 0) {
    throw new LineageInputError(`sweeps must be a whole number of at least 0, not ${sweeps}`);
  }

  const ids = [...graph.nodes].sort(byString);
  const index = new Map<string, number>();
  ids.forEach((id, i) => {
    if (index.has(id)) throw new LineageInputError(`node "${id}" is listed twice`);
    index.set(id, i);
  });
  const n = ids.length;
  const edges = uniqueEdges(graph.edges, index, n);
  const layer = longestPathLayers(n, edges, ids);
  const layers = n === 0 ? 0 : Math.max(...layer) + 1;

  // vertices: the nodes, then one dummy per layer each long edge crosses
  const vLayer: number[] = [...layer];
  const chains: number[][] = [];
  const segments: [number, number][] = [];
  for (const [from, to] of edges) {
    const chain = [from];
    for (let l = layer[from]! + 1; l < layer[to]!; l++) {
      chain.push(vLayer.length);
      vLayer.push(l);
    }
    chain.push(to);
    for (let i = 1; i < chain.length; i++) segments.push([chain[i - 1]!, chain[i]!]);
    chains.push(chain);
  }
  const vCount = vLayer.length;
  const up = adjacency(vCount, segments, 1, 0);
  const down = adjacency(vCount, segments, 0, 1);

  const rows: number[][] = Array.from({ length: layers }, () => []);
  for (let v = 0; v < vCount; v++) rows[vLayer[v]!]!.push(v);
  const pos = new Float64Array(vCount);
  const renumber = () => {
    for (const row of rows) {
      row.forEach((v, i) => {
        pos[v] = i;
      });
    }
  };
  renumber();

  let crossings = countCrossings(rows, down, pos);
  let best = rows.map((row) => [...row]);
  for (let round = 0; round < sweeps && crossings > 0; round++) {
    for (let l = 1; l < layers; l++) orderByBarycenter(rows[l]!, up, pos, rows[l - 1]!.length);
    for (let l = layers - 2; l >= 0; l--) orderByBarycenter(rows[l]!, down, pos, rows[l + 1]!.length);
    const found = countCrossings(rows, down, pos);
    if (found < crossings) {
      crossings = found;
      best = rows.map((row) => [...row]);
    }
  }
  for (let l = 0; l < layers; l++) rows[l] = best[l]!;
  renumber();

  // positions across the layers: centres, nodes apart by their height and a gap, passing edges closer
  const isNode = (v: number) => v < n;
  const size = (v: number) => (isNode(v) ? nodeHeight : 0);
  const separation = (a: number, b: number) =>
    (size(a) + size(b)) / 2 +
    (isNode(a) && isNode(b) ? nodeGap : isNode(a) || isNode(b) ? nodeGap / 2 + edgeGap / 2 : edgeGap);
  const centre = new Float64Array(vCount);
  for (const row of rows) {
    let at = 0;
    row.forEach((v, i) => {
      if (i > 0) at += separation(row[i - 1]!, v);
      centre[v] = at;
    });
  }
  const passes: (readonly number[][])[][] = [];
  for (let round = 0; round < 3; round++) passes.push([up], [down]);
  passes.push([up, down]);
  for (const neighbours of passes) {
    for (const row of rows) {
      const wanted = row.map((v) => {
        let sum = 0;
        let count = 0;
        for (const adj of neighbours) {
          for (const u of adj[v]!) {
            sum += centre[u]!;
            count++;
          }
        }
        return count === 0 ? centre[v]! : sum / count;
      });
      const placed = closestSeparated(
        wanted,
        row.map((v) => (isNode(v) ? 1 : 2)),
        row.map((v, i) => (i === 0 ? 0 : separation(row[i - 1]!, v))),
      );
      row.forEach((v, i) => {
        centre[v] = placed[i]!;
      });
    }
  }

  let top = Number.POSITIVE_INFINITY;
  let bottom = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < vCount; v++) {
    top = Math.min(top, centre[v]! - size(v) / 2);
    bottom = Math.max(bottom, centre[v]! + size(v) / 2);
  }
  if (vCount === 0) top = bottom = 0;
  const y = (v: number) => round(centre[v]! - top);
  const layerX = (l: number) => l * (nodeWidth + layerGap);

  const nodes: PlacedNode[] = ids.map((id, v) => ({
    id,
    layer: layer[v]!,
    order: pos[v]!,
    x: layerX(layer[v]!),
    y: round(centre[v]! - top - nodeHeight / 2),
    width: nodeWidth,
    height: nodeHeight,
  }));
  const routed: RoutedEdge[] = chains.map((chain) => {
    const from = chain[0]!;
    const to = chain[chain.length - 1]!;
    const points: Point[] = [{ x: layerX(layer[from]!) + nodeWidth, y: y(from) }];
    for (const d of chain.slice(1, -1)) {
      points.push({ x: layerX(vLayer[d]!), y: y(d) }, { x: layerX(vLayer[d]!) + nodeWidth, y: y(d) });
    }
    points.push({ x: layerX(layer[to]!), y: y(to) });
    return { from: ids[from]!, to: ids[to]!, points };
  });
  return {
    nodes,
    edges: routed,
    layers,
    width: layers === 0 ? 0 : layerX(layers - 1) + nodeWidth,
    height: round(bottom - top),
    crossings,
  };
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new LineageInputError(`${name} must be a number above 0, not ${value}`);
  }
  return value;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The edges as index pairs, each once, sorted; an edge naming a node not in the graph is refused. */
function uniqueEdges(
  edges: LineageGraph['edges'],
  index: ReadonlyMap<string, number>,
  n: number,
): [number, number][] {
  const seen = new Set<number>();
  const out: [number, number][] = [];
  edges.forEach(([from, to], i) => {
    const a = index.get(from);
    const b = index.get(to);
    if (a === undefined) throw new LineageInputError(`edges[${i}] starts at "${from}", which is not a node`);
    if (b === undefined) throw new LineageInputError(`edges[${i}] ends at "${to}", which is not a node`);
    if (a === b) throw new LineageCycleError([from, from]);
    const key = a * n + b;
    if (seen.has(key)) return;
    seen.add(key);
    out.push([a, b]);
  });
  return out.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}

/** Each node's longest path from a source, by Kahn's order; a cycle is found and named instead. */
function longestPathLayers(n: number, edges: readonly [number, number][], ids: readonly string[]): number[] {
  const parents = adjacency(n, edges, 1, 0);
  const children = adjacency(n, edges, 0, 1);
  const waiting = parents.map((p) => p.length);
  const layer = new Array<number>(n).fill(0);
  const ready: number[] = [];
  for (let v = 0; v < n; v++) if (waiting[v] === 0) ready.push(v);
  let done = 0;
  while (ready.length > 0) {
    const v = ready.pop()!;
    done++;
    for (const c of children[v]!) {
      layer[c] = Math.max(layer[c]!, layer[v]! + 1);
      if (--waiting[c]! === 0) ready.push(c);
    }
  }
  if (done < n) {
    // every node left waits for a parent that is left too: walk parents until one repeats, and name
    // the loop from its first node by name
    const start = waiting.findIndex((w) => w > 0);
    const path: number[] = [];
    const at = new Map<number, number>();
    let v = start;
    while (!at.has(v)) {
      at.set(v, path.length);
      path.push(v);
      v = parents[v]!.find((p) => waiting[p]! > 0)!;
    }
    const loop = path.slice(at.get(v)!).reverse();
    const first = loop.indexOf(Math.min(...loop));
    const cycle = [...loop.slice(first), ...loop.slice(0, first)];
    throw new LineageCycleError([...cycle, cycle[0]!].map((i) => ids[i]!));
  }
  return layer;
}

function adjacency(count: number, pairs: readonly (readonly [number, number])[], key: 0 | 1, value: 0 | 1) {
  const lists: number[][] = Array.from({ length: count }, () => []);
  for (const pair of pairs) lists[pair[key]]!.push(pair[value]);
  return lists;
}

/** Sorts a layer by its vertices' mean position in the neighbouring layer; ties keep their order. */
function orderByBarycenter(
  row: number[],
  neighbours: number[][],
  pos: Float64Array,
  otherSize: number,
): void {
  const scale = row.length > 1 ? (otherSize - 1) / (row.length - 1) : 0;
  const key = new Map<number, number>();
  for (const v of row) {
    const adj = neighbours[v]!;
    if (adj.length === 0) key.set(v, pos[v]! * scale);
    else {
      let sum = 0;
      for (const u of adj) sum += pos[u]!;
      key.set(v, sum / adj.length);
    }
  }
  row.sort((a, b) => key.get(a)! - key.get(b)! || pos[a]! - pos[b]!);
  row.forEach((v, i) => {
    pos[v] = i;
  });
}

/** Crossings between each pair of adjacent layers: inversions among the segments, with a Fenwick tree. */
function countCrossings(rows: number[][], down: number[][], pos: Float64Array): number {
  let total = 0;
  for (let l = 0; l + 1 < rows.length; l++) {
    const targets: number[] = [];
    for (const v of rows[l]!) {
      const ends = down[v]!.map((u) => pos[u]!).sort((a, b) => a - b);
      targets.push(...ends);
    }
    const size = rows[l + 1]!.length;
    const tree = new Int32Array(size + 1);
    for (let i = 0; i < targets.length; i++) {
      // segments seen so far that end after this one's end cross it
      let below = 0;
      for (let j = targets[i]! + 1; j > 0; j -= j & -j) below += tree[j]!;
      total += i - below;
      for (let j = targets[i]! + 1; j <= size; j += j & -j) tree[j]!++;
    }
  }
  return total;
}

/**
 * The positions closest (weighted least squares) to `wanted` such that each is at least `gap[i]`
 * below the one before: with `z[i] = y[i] - (gap[0] + ... + gap[i])` this asks for the best
 * non-decreasing `z`, which pooling adjacent violators finds in linear time.
 */
function closestSeparated(
  wanted: readonly number[],
  weight: readonly number[],
  gap: readonly number[],
): number[] {
  const offset: number[] = [];
  let sum = 0;
  for (let i = 0; i < wanted.length; i++) {
    sum += gap[i]!;
    offset.push(sum);
  }
  const value: number[] = [];
  const mass: number[] = [];
  const count: number[] = [];
  for (let i = 0; i < wanted.length; i++) {
    value.push(wanted[i]! - offset[i]!);
    mass.push(weight[i]!);
    count.push(1);
    while (value.length > 1 && value[value.length - 2]! > value[value.length - 1]!) {
      const v = value.pop()!;
      const m = mass.pop()!;
      const c = count.pop()!;
      const k = value.length - 1;
      value[k] = (value[k]! * mass[k]! + v * m) / (mass[k]! + m);
      mass[k]! += m;
      count[k]! += c;
    }
  }
  const out: number[] = [];
  value.forEach((v, block) => {
    for (let c = 0; c < count[block]!; c++) out.push(v + offset[out.length]!);
  });
  return out;
}
