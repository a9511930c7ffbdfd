/**
 * An environment's lineage drawn as SVG: the layered layout of core/lineage/layout.ts, each model a
 * box coloured by where it stands (paused or blocked, running, failed, succeeded, never ran), each
 * edge from a model to one reading from it. The wheel zooms around the pointer and a drag pans; the
 * graph first fits the view, and finding a model by name (or naming it in the URL's `?model=`)
 * centres it at full size. Hovering a model shows its name and state (in the toolbar, and as the
 * box's tooltip); clicking opens its page. Once drawn, the figure carries `data-drawn` (what the browser tests and the benchmark wait for).
 */
import { memo, type RefObject, useEffect, useMemo, useRef } from 'hono/jsx/dom';
import { type Layout, layoutLineage, type Point } from '../../../core/lineage/layout.ts';
import type { api, Body } from '../api.ts';
import { href, navigate } from '../router.tsx';
import './lineage-graph.css';

export type Lineage = Body<Awaited<ReturnType<(typeof api.environments)[':env']['lineage']['$get']>>>;
type LineageNode = Lineage['nodes'][number];

/** What a model's colour says, most pressing first. */
export const STANDINGS = [
  { key: 'blocked', label: 'paused or blocked' },
  { key: 'running', label: 'running' },
  { key: 'failed', label: 'failed' },
  { key: 'succeeded', label: 'succeeded' },
  { key: 'never', label: 'never ran' },
  { key: 'other', label: 'skipped or cancelled' },
] as const;
type Standing = (typeof STANDINGS)[number]['key'];

export function standingOf(node: LineageNode): Standing {
  if (node.paused || node.blockedReason !== null) return 'blocked';
  switch (node.lastStatus) {
    case null:
      return 'never';
    case 'running':
    case 'queued':
      return 'running';
    case 'failed':
      return 'failed';
    case 'succeeded':
      return 'succeeded';
    default:
      return 'other';
  }
}

const NODE = { nodeWidth: 170, nodeHeight: 24 };
const LABEL_CHARS = 26;
const MIN_SCALE = 0.02;
const MAX_SCALE = 3;

/** A label that fits the box: long names keep their end, where the table name is. */
function label(name: string): string {
  return name.length <= LABEL_CHARS ? name : `…${name.slice(name.length - LABEL_CHARS + 1)}`;
}

/** Straight through a layer, a curve between two layers. */
function edgePath(points: readonly Point[]): string {
  let d = `M${points[0]!.x},${points[0]!.y}`;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (a.y === b.y) d += `L${b.x},${b.y}`;
    else {
      const mid = (a.x + b.x) / 2;
      d += `C${mid},${a.y} ${mid},${b.y} ${b.x},${b.y}`;
    }
  }
  return d;
}

function describe(node: LineageNode): string {
  const state = node.paused
    ? `paused${node.blockedReason ? ` (${node.blockedReason})` : ''}`
    : node.blockedReason
      ? `blocked: ${node.blockedReason}`
      : `last execution ${node.lastStatus ?? 'never ran'}`;
  return `${node.name} · ${node.kind} · ${state}`;
}

/** The edges, drawn again only when the layout changes. */
const Edges = memo(
  (props: { layout: Layout }) => (
    <g class="lineage-edges">
      {props.layout.edges.map((edge) => (
        <path class="lineage-edge" d={edgePath(edge.points)} data-from={edge.from} data-to={edge.to} />
      ))}
    </g>
  ),
  (before, after) => before.layout === after.layout,
);

interface BoxesProps {
  layout: Layout;
  environment: string;
  lineage: Lineage;
  /** the drag in progress: a click that ends one opens nothing. */
  drag: RefObject<{ moved: boolean } | null>;
}

/** The models' boxes, drawn again only when the layout or a model's state changes, not on every refresh. */
const Boxes = memo(
  (props: BoxesProps) => {
    const byName = new Map(props.lineage.nodes.map((n) => [n.name, n]));
    return (
      <>
        {props.layout.nodes.map((placed) => {
          const node = byName.get(placed.id)!;
          const to = href('environments', props.environment, 'models', placed.id);
          return (
            <a
              href={to}
              class={`lineage-node standing-${standingOf(node)}`}
              data-model={placed.id}
              onClick={(event: MouseEvent) => {
                event.preventDefault();
                if (props.drag.current?.moved) return;
                navigate(to);
              }}
            >
              <title>{describe(node)}</title>
              <rect x={placed.x} y={placed.y} width={placed.width} height={placed.height} rx={4} />
              <text x={placed.x + 8} y={placed.y + placed.height / 2}>
                {label(placed.id)}
              </text>
            </a>
          );
        })}
      </>
    );
  },
  (before, after) =>
    before.layout === after.layout &&
    before.environment === after.environment &&
    before.lineage.nodes.length === after.lineage.nodes.length &&
    before.lineage.nodes.every((n, i) => describe(n) === describe(after.lineage.nodes[i]!)),
);

interface View {
  x: number;
  y: number;
  k: number;
}

export function LineageGraph(props: {
  environment: string;
  lineage: Lineage;
  /** a model to centre on once drawn (`?model=` in the page's URL). */
  focus?: string | null;
}) {
  const { environment, lineage } = props;
  // the layout changes only with the graph's shape, not with the models' states
  const shape = `${lineage.nodes.map((n) => n.name).join('\n')}\n\n${lineage.edges.map((e) => `${e.from} ${e.to}`).join('\n')}`;
  const layout = useMemo<Layout>(
    () =>
      layoutLineage(
        { nodes: lineage.nodes.map((n) => n.name), edges: lineage.edges.map((e) => [e.from, e.to] as const) },
        NODE,
      ),
    [shape],
  );
  const viewport = useRef<HTMLDivElement>(null);
  const canvas = useRef<SVGGElement>(null);
  const figure = useRef<HTMLElement>(null);
  const view = useRef<View>({ x: 0, y: 0, k: 1 });
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  const hovered = useRef<HTMLSpanElement>(null);

  const apply = () => {
    const { x, y, k } = view.current;
    canvas.current?.setAttribute('transform', `translate(${x},${y}) scale(${k})`);
  };
  const fitView = () => {
    const box = viewport.current;
    if (!box || layout.width === 0) return;
    const pad = 16;
    const k = Math.min(
      1,
      (box.clientWidth - 2 * pad) / layout.width,
      (box.clientHeight - 2 * pad) / Math.max(layout.height, 1),
    );
    const scale = Math.max(MIN_SCALE, k);
    // centred in the view
    view.current = {
      k: scale,
      x: pad + Math.max(0, (box.clientWidth - 2 * pad - layout.width * scale) / 2),
      y: pad + Math.max(0, (box.clientHeight - 2 * pad - layout.height * scale) / 2),
    };
    apply();
  };
  const zoomBy = (factor: number, at?: { x: number; y: number }) => {
    const box = viewport.current;
    if (!box) return;
    const { x, y, k } = view.current;
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, k * factor));
    const px = at?.x ?? box.clientWidth / 2;
    const py = at?.y ?? box.clientHeight / 2;
    // keep the point under the pointer where it is
    view.current = { k: next, x: px - ((px - x) * next) / k, y: py - ((py - y) * next) / k };
    apply();
  };

  /** Centres the view on a model at full size and rings it; says so when there is no such model. */
  const find = (name: string) => {
    const box = viewport.current;
    const placed = layout.nodes.find((n) => n.id === name);
    figure.current?.querySelector('.lineage-found')?.classList.remove('lineage-found');
    if (!box || !placed) {
      if (hovered.current) hovered.current.textContent = name ? `no model ${name} here` : '';
      return;
    }
    view.current = {
      k: 1,
      x: box.clientWidth / 2 - (placed.x + placed.width / 2),
      y: box.clientHeight / 2 - (placed.y + placed.height / 2),
    };
    apply();
    figure.current?.querySelector(`[data-model="${CSS.escape(name)}"]`)?.classList.add('lineage-found');
  };

  useEffect(() => {
    if (props.focus) find(props.focus);
    else fitView();
    const marker = figure.current;
    if (!marker) return;
    marker.removeAttribute('data-drawn');
    const frame = requestAnimationFrame(() => marker.setAttribute('data-drawn', 'true'));
    return () => cancelAnimationFrame(frame);
  }, [layout]);

  const counts = new Map<Standing, number>();
  for (const node of lineage.nodes) counts.set(standingOf(node), (counts.get(standingOf(node)) ?? 0) + 1);
  const byName = new Map(lineage.nodes.map((n) => [n.name, n]));

  return (
    <figure
      class="lineage"
      ref={figure}
      data-testid="lineage-graph"
      data-nodes={layout.nodes.length}
      data-edges={layout.edges.length}
    >
      <div class="lineage-toolbar">
        <ul class="lineage-legend">
          {STANDINGS.filter((s) => counts.has(s.key)).map((s) => (
            <li>
              <span class={`lineage-swatch standing-${s.key}`} /> {s.label} ({counts.get(s.key)})
            </li>
          ))}
        </ul>
        <span class="muted">
          {layout.nodes.length} models, {layout.edges.length} edges, {layout.layers} layers
        </span>
        <span class="spacer" />
        <span class="lineage-hover mono" ref={hovered} data-testid="lineage-hovered" />
        <form
          class="lineage-find"
          onSubmit={(event: Event) => {
            event.preventDefault();
            const input = (event.target as HTMLFormElement).elements.namedItem('model') as HTMLInputElement;
            find(input.value.trim());
          }}
        >
          <input
            name="model"
            list="lineage-models"
            placeholder="find a model"
            aria-label="Find a model"
            class="mono"
          />
          <datalist id="lineage-models">
            {layout.nodes.map((n) => (
              <option value={n.id} />
            ))}
          </datalist>
          <button type="submit">Find</button>
        </form>
        <button type="button" onClick={() => zoomBy(1 / 1.25)} title="Zoom out" aria-label="Zoom out">
          −
        </button>
        <button type="button" onClick={() => zoomBy(1.25)} title="Zoom in" aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={fitView}>
          Fit
        </button>
      </div>
      <div
        class="lineage-viewport"
        ref={viewport}
        onWheel={(event: WheelEvent) => {
          event.preventDefault();
          const box = viewport.current!.getBoundingClientRect();
          zoomBy(Math.exp(-event.deltaY * 0.0015), {
            x: event.clientX - box.left,
            y: event.clientY - box.top,
          });
        }}
        onPointerDown={(event: PointerEvent) => {
          if (event.button !== 0) return;
          drag.current = { x: event.clientX, y: event.clientY, moved: false };
        }}
        onPointerMove={(event: PointerEvent) => {
          const start = drag.current;
          if (!start) return;
          const dx = event.clientX - start.x;
          const dy = event.clientY - start.y;
          if (!start.moved && Math.hypot(dx, dy) < 4) return;
          if (!start.moved) viewport.current!.setPointerCapture(event.pointerId);
          start.moved = true;
          view.current = { ...view.current, x: view.current.x + dx, y: view.current.y + dy };
          drag.current = { x: event.clientX, y: event.clientY, moved: true };
          apply();
        }}
        onPointerUp={() => {
          // a drag that moved ends here; the click that follows it must not open a model
          setTimeout(() => {
            drag.current = null;
          });
        }}
      >
        <svg class="lineage-svg" role="img" aria-label={`lineage of ${environment}`}>
          <g ref={canvas}>
            <Edges layout={layout} />
            <g
              class="lineage-nodes"
              onPointerOver={(event: PointerEvent) => {
                const name = (event.target as Element).closest('[data-model]')?.getAttribute('data-model');
                const node = name ? byName.get(name) : undefined;
                if (hovered.current) hovered.current.textContent = node ? describe(node) : '';
              }}
              onPointerOut={() => {
                if (hovered.current) hovered.current.textContent = '';
              }}
            >
              <Boxes layout={layout} environment={environment} lineage={lineage} drag={drag} />
            </g>
          </g>
        </svg>
      </div>
    </figure>
  );
}
