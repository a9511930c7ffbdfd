/**
 * A pull request's plan summary (core/ci/summary.ts) as GitHub-flavoured Markdown, ready to post as
 * a pull request comment: a heading with the outcome, the changed models, the backfill, the
 * audits with their failing row counts, the failures, and the links. The first line carries a
 * hidden marker naming the pull request, so a CI job can find its earlier comment and edit it
 * instead of adding another.
 */
import type { CiSummary } from './summary.ts';

const HEADINGS: Record<CiSummary['outcome'], string> = {
  applied: '✅ applied',
  failed: '❌ failed',
  rejected: '⛔ rejected',
  in_progress: '⏳ in progress',
};

/** What marks the comment of pull request `n` (`<!-- sluice-ci:pr_7 -->`). */
export function ciCommentMarker(environment: string): string {
  return `<!-- sluice-ci:${environment} -->`;
}

/** Text in a table cell or inline code: no pipe, no newline, no backtick may break the layout. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function code(text: string): string {
  return `\`${text.replace(/`/g, 'ʼ')}\``;
}

function list(names: readonly string[]): string {
  return names.map(code).join(', ');
}

function day(ms: number): string {
  return new Date(ms).toISOString().replace('T00:00:00.000Z', '').replace('.000Z', 'Z');
}

export function ciMarkdown(summary: CiSummary): string {
  const lines: string[] = [ciCommentMarker(summary.environment)];
  lines.push(
    `### sluice: pull request #${summary.pullRequest} → ${code(summary.environment)} ${HEADINGS[summary.outcome]}`,
    '',
  );
  if (summary.error !== null) lines.push(`> ${cell(summary.error)}`, '');

  const { models } = summary;
  const changes: Array<[string, string[]]> = [
    ['added', models.added],
    ['directly modified (breaking)', models.breaking],
    ['indirectly modified', models.indirect],
    ['metadata only (non-breaking)', models.nonBreaking],
    ['removed', models.removed],
  ];
  const changed = changes.filter(([, names]) => names.length > 0);
  if (summary.planId !== null) {
    const base = summary.base === null ? 'an empty environment' : code(summary.base);
    if (changed.length === 0) {
      lines.push(`No model changes against ${base}: the environment shares its tables.`, '');
    } else {
      lines.push(`**Models** (against ${base})`, '', '| change | models |', '| --- | --- |');
      for (const [what, names] of changed) lines.push(`| ${what} (${names.length}) | ${list(names)} |`);
      lines.push('');
    }
  }

  const { backfill } = summary;
  if (backfill.models.length > 0) {
    const from = backfill.start === null ? 'each model’s start' : day(backfill.start);
    const progress = backfill.progress;
    const done = progress ? `, ${progress.batches.done} of ${progress.batches.total} batches done` : '';
    lines.push(
      `**Backfill** from ${from}: ${backfill.models.length} model${backfill.models.length === 1 ? '' : 's'}${done}`,
      '',
      '| model | batches |',
      '| --- | --- |',
      ...backfill.models.map((m) => `| ${code(m.model)} | ${m.batches} |`),
      '',
    );
  } else if (summary.planId !== null) {
    lines.push('**Backfill**: none (unchanged models read the tables they share).', '');
  }

  if (summary.audits.length > 0) {
    lines.push(
      '**Audits**',
      '',
      '| | model | audit | blocking | failing rows |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const audit of summary.audits) {
      const mark = audit.failingRows === 0 ? '✅' : audit.blocking ? '❌' : '⚠️';
      lines.push(
        `| ${mark} | ${code(audit.model)} | ${code(audit.name)} | ${audit.blocking ? 'yes' : 'no'} | ${audit.failingRows} |`,
      );
    }
    lines.push('');
  }

  if (summary.failures.length > 0) {
    lines.push('**Failures**', '', '| model | error |', '| --- | --- |');
    for (const failure of summary.failures) lines.push(`| ${code(failure.model)} | ${cell(failure.error)} |`);
    lines.push('');
  }

  const links = [
    ...(summary.links.dashboard ? [`[Dashboard](${summary.links.dashboard})`] : []),
    ...(summary.links.temporal ? [`[Temporal](${summary.links.temporal})`] : []),
  ];
  const footer = [
    ...(summary.planId ? [`plan ${code(summary.planId)}`] : []),
    ...(summary.expiresAt !== null ? [`expires ${day(summary.expiresAt)}`] : []),
    ...links,
  ];
  if (footer.length > 0) lines.push(footer.join(' · '));
  return `${lines.join('\n').trimEnd()}\n`;
}
