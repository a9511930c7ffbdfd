/**
 * One environment: its state at the top (pause, next tick, runs in flight, plans, stuck work, last
 * error), its models in a table to filter and sort, and the actions on them: pause and resume the
 * environment or a model with a reason, run the selected models now, restate a range of them.
 */
import type { Child } from 'hono/jsx';
import { api, read } from '../api.ts';
import { EnvironmentState } from '../components/environment-state.tsx';
import { type Ability, ModelFilters, ModelsTable } from '../components/models-table.tsx';
import { PageHeader, Pending } from '../components/page-header.tsx';
import { ActionDialog, type DialogField } from '../components/reason-dialog.tsx';
import { useState } from '../hooks.ts';
import { useLive } from '../live.ts';
import { type ModelView, modelViewQuery, readModelView } from '../model-rows.ts';
import { usePermission } from '../permissions.ts';
import { href, Link } from '../router.tsx';
import type { PageProps } from '../routes.ts';

interface DialogSpec {
  title: string;
  intro?: Child;
  fields: DialogField[];
  submitLabel: string;
  onSubmit: (values: Record<string, string>) => Promise<void>;
}

/** What the last action did, said above the table until the next one. */
interface Outcome {
  text: string;
  runId?: string;
}

const REASON: DialogField = {
  name: 'reason',
  label: 'Reason',
  placeholder: 'e.g. late source data',
  hint: 'kept with the pause and in the audit log',
};

export function EnvironmentPage(props: PageProps) {
  const env = props.params.env!;
  const live = useLive(() => read(api.environments[':env'].$get({ param: { env } })), `environment ${env}`);
  const permitted = usePermission('operate', env);
  const operate: Ability =
    permitted.allowed === null
      ? { allowed: false, reason: 'checking what your token may do…' }
      : { allowed: permitted.allowed, reason: permitted.allowed ? null : permitted.reason };
  const [view, setViewState] = useState<ModelView>(readModelView(props.query));
  const [selected, setSelected] = useState<string[]>([]);
  const [dialog, setDialog] = useState<DialogSpec | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const now = Date.now();

  const setView = (next: ModelView) => {
    setViewState(next);
    // the filter and sort belong to the URL, so the view can be shared; no new history entry per key
    history.replaceState(null, '', `${location.pathname}${modelViewQuery(next)}`);
  };

  const done = async (result: Outcome) => {
    setOutcome(result);
    await live.reload();
  };

  const detail = live.data;
  const models = detail?.models ?? [];
  const chosen = selected.filter((name) => models.some((m) => m.name === name));
  const refused = operate.allowed ? null : operate.reason;

  const pauseEnvironment = () =>
    setDialog({
      title: `Pause ${env}`,
      intro: 'No model runs on schedule until the environment is resumed; runs in flight finish.',
      fields: [REASON],
      submitLabel: 'Pause environment',
      onSubmit: async ({ reason }) => {
        await read(api.environments[':env'].pause.$post({ param: { env }, json: { reason: reason ?? '' } }));
        await done({ text: `Paused ${env}: ${reason}` });
      },
    });
  const resumeEnvironment = () =>
    setDialog({
      title: `Resume ${env}`,
      intro: 'Every model catches up the intervals it missed while the environment was paused.',
      fields: [],
      submitLabel: 'Resume environment',
      onSubmit: async () => {
        await read(api.environments[':env'].resume.$post({ param: { env } }));
        await done({ text: `Resumed ${env}; its models catch up what they missed` });
      },
    });
  const pauseModel = (model: string) =>
    setDialog({
      title: `Pause ${model}`,
      intro: `${model} and the models downstream of it do not run on schedule until it is resumed.`,
      fields: [REASON],
      submitLabel: 'Pause model',
      onSubmit: async ({ reason }) => {
        await read(
          api.environments[':env'].pauses.$post({ param: { env }, json: { model, reason: reason ?? '' } }),
        );
        await done({ text: `Paused ${model}: ${reason}` });
      },
    });
  const resumeModel = (model: string) =>
    setDialog({
      title: `Resume ${model}`,
      intro: `${model} catches up every interval it missed while paused.`,
      fields: [],
      submitLabel: 'Resume model',
      onSubmit: async () => {
        await read(api.environments[':env'].pauses[':model'].$delete({ param: { env, model } }));
        await done({ text: `Resumed ${model}; it catches up what it missed` });
      },
    });
  const runNow = async () => {
    try {
      const run = await read(
        api.environments[':env'].runs.$post({
          param: { env },
          json: chosen.length > 0 ? { models: chosen } : {},
        }),
      );
      await done({
        text: `Queued a run of ${chosen.length > 0 ? chosen.join(', ') : 'every scheduled model'} (it starts when an interval is due):`,
        runId: run.runId,
      });
    } catch (err) {
      setOutcome({ text: `Could not start a run: ${(err as Error).message}` });
    }
  };
  const restate = () =>
    setDialog({
      title: `Restate ${chosen.length === 1 ? chosen[0] : `${chosen.length} models`}`,
      intro: (
        <>
          Clears the completed intervals of {chosen.join(', ')} in [start, end) and runs them again; the
          models downstream follow.
        </>
      ),
      fields: [
        { name: 'start', label: 'Start', placeholder: '2026-01-01 or 2 days ago', hint: 'inclusive' },
        {
          name: 'end',
          label: 'End',
          placeholder: '2026-01-02 or now',
          hint: 'exclusive; a date covers that day',
        },
      ],
      submitLabel: 'Restate',
      onSubmit: async ({ start, end }) => {
        const run = await read(
          api.environments[':env'].runs.$post({
            param: { env },
            json: { models: chosen, restate: { start: start ?? '', end: end ?? '' } },
          }),
        );
        await done({
          text: `Restating ${chosen.join(', ')} from ${run.restate?.start ?? start} to ${run.restate?.end ?? end}:`,
          runId: run.runId,
        });
      },
    });

  const actions = detail ? (
    detail.pause ? (
      <button
        type="button"
        data-action="resume-environment"
        disabled={!operate.allowed}
        title={refused ?? 'resume the environment'}
        onClick={resumeEnvironment}
      >
        Resume environment
      </button>
    ) : (
      <button
        type="button"
        data-action="pause-environment"
        disabled={!operate.allowed}
        title={refused ?? 'pause every model of the environment'}
        onClick={pauseEnvironment}
      >
        Pause environment
      </button>
    )
  ) : null;

  return (
    <section>
      <PageHeader
        title={
          <>
            <Link to="/environments" class="muted">
              Environments
            </Link>{' '}
            / {env}
          </>
        }
        live={live}
        actions={actions}
      >
        <nav class="tabs">
          <Link to={href('environments', env)} class="current">
            Models
          </Link>
          <Link to={href('environments', env, 'lineage')}>Lineage</Link>
          <Link to={`/runs?environment=${encodeURIComponent(env)}`}>Runs</Link>
        </nav>
      </PageHeader>
      {detail === undefined ? (
        <Pending live={live} />
      ) : (
        <div class="environment-body">
          <EnvironmentState env={detail} now={now} />
          <div class="outcome-slot">
            {outcome ? (
              <p class="outcome" role="status" data-testid="action-outcome">
                {outcome.text}{' '}
                {outcome.runId ? (
                  <Link to={href('runs', outcome.runId)} class="mono">
                    {outcome.runId}
                  </Link>
                ) : null}
              </p>
            ) : null}
          </div>
          <div class="model-actions">
            <ModelFilters models={models} view={view} onChange={setView} />
            <div class="actions">
              <button
                type="button"
                class="primary"
                data-action="run-now"
                disabled={!operate.allowed}
                title={
                  refused ??
                  (chosen.length > 0
                    ? `run the intervals of ${chosen.join(', ')} that are due now (a run starts only if one is)`
                    : 'run every scheduled model’s due intervals now (select models to run only those)')
                }
                onClick={runNow}
              >
                {chosen.length > 0 ? `Run ${chosen.length} selected now` : 'Run all now'}
              </button>
              <button
                type="button"
                data-action="restate"
                disabled={!operate.allowed || chosen.length === 0}
                title={
                  refused ?? (chosen.length === 0 ? 'select the models to restate first' : 'restate a range')
                }
                onClick={restate}
              >
                Restate a range…
              </button>
            </div>
          </div>
          <ModelsTable
            env={env}
            models={models}
            view={view}
            now={now}
            selected={chosen}
            operate={operate}
            onView={setView}
            onSelect={setSelected}
            onPause={pauseModel}
            onResume={resumeModel}
          />
        </div>
      )}
      <div class="dialog-slot">
        {dialog ? <ActionDialog {...dialog} onClose={() => setDialog(null)} /> : null}
      </div>
    </section>
  );
}
