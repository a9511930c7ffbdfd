/**
 * Reads audit files (`audits/**\/*.sql`): one or more `AUDIT (name ..., blocking ..., dialect ...,
 * defaults (...))` blocks, each followed by its query. A query's `@name` variables that are not
 * sluice macro variables are the audit's parameters: models pass them as arguments
 * (`audits (my_audit(column := id))`), or `defaults` gives them a value.
 */

import { findUnsupportedMacros } from '../macros.ts';
import type { Token } from '../sql/tokenize.ts';
import { macroName } from '../sql/tokenize.ts';
import { readArguments } from './arguments.ts';
import { DIALECTS } from './config.ts';
import type { Block, Value } from './header.ts';
import { HeaderSyntaxError, isBlockStart, parseBlock } from './header.ts';
import type { Issues } from './issues.ts';
import { reportHeaderMacros, tokenizeSqlFile } from './model-file.ts';
import { splitStatements } from './statements.ts';
import type { Audit } from './types.ts';
import { readBoolean, readText, ValueError } from './values.ts';

export interface AuditDefinition {
  audit: Audit;
  /** `@name` variables of the query that arguments or defaults must give, with their lines. */
  parameters: { name: string; line: number }[];
  nameLine: number;
}

const IGNORED_PROPERTIES = new Set(['description', 'owner']);
const UNSUPPORTED_PROPERTIES = new Set(['skip', 'depends_on', 'cron', 'tags', 'start', 'enabled']);

export function readAuditFile(file: string, source: string, issues: Issues): AuditDefinition[] {
  const tokens = tokenizeSqlFile(file, source, issues);
  if (!tokens) return [];
  if (!isBlockStart(tokens, 0, 'AUDIT')) {
    const first = tokens[0];
    issues.error(file, first?.line ?? 1, 'an audit file must start with an AUDIT (...) block', first?.text);
    return [];
  }
  const audits: AuditDefinition[] = [];
  let i = 0;
  while (i < tokens.length) {
    let block: Block;
    try {
      block = parseBlock(tokens, i);
    } catch (error) {
      if (!(error instanceof HeaderSyntaxError)) throw error;
      issues.error(file, error.line, error.message, error.text);
      return audits;
    }
    reportHeaderMacros(file, tokens.slice(i, block.end), issues);
    const next = nextAuditBlock(tokens, block.end);
    const definition = readAudit(file, source, block, tokens, next, issues);
    if (definition) audits.push(definition);
    i = next;
  }
  return audits;
}

/** Index of the next `AUDIT (` that starts a statement at or after `from`, or the end. */
function nextAuditBlock(tokens: Token[], from: number): number {
  for (let i = from; i < tokens.length; i++) {
    const atStatementStart = i === from || (tokens[i - 1]!.type === 'punct' && tokens[i - 1]!.text === ';');
    if (atStatementStart && isBlockStart(tokens, i, 'AUDIT')) return i;
  }
  return tokens.length;
}

function readAudit(
  file: string,
  source: string,
  block: Block,
  tokens: Token[],
  end: number,
  issues: Issues,
): AuditDefinition | undefined {
  let name: string | undefined;
  let nameLine = block.line;
  let blocking = true;
  let dialect: string | undefined;
  let defaults: Record<string, string> = {};
  const seen = new Set<string>();
  for (const property of block.properties) {
    if (seen.has(property.key)) {
      issues.error(file, property.line, `property ${property.key} is given twice`, property.key);
      continue;
    }
    seen.add(property.key);
    try {
      switch (property.key) {
        case 'name':
          name = readText(property.value, 'audit name').toLowerCase();
          nameLine = property.line;
          break;
        case 'blocking':
          blocking = readBoolean(property.value, 'blocking');
          break;
        case 'dialect': {
          const text = readText(property.value, 'dialect').toLowerCase();
          if (!(DIALECTS as readonly string[]).includes(text)) {
            throw new ValueError(
              `dialect '${text}' is not supported by sluice (expected ${DIALECTS.join(' or ')})`,
              property.value.line,
              text,
            );
          }
          dialect = text;
          break;
        }
        case 'defaults':
          defaults = readDefaults(property.value);
          break;
        case 'standalone':
          if (readBoolean(property.value, 'standalone')) {
            throw new ValueError(
              'standalone audits are not supported by sluice',
              property.line,
              'standalone',
            );
          }
          break;
        default:
          if (IGNORED_PROPERTIES.has(property.key)) {
            issues.notice(file, property.line, `audit property ${property.key} is ignored by sluice`);
          } else if (UNSUPPORTED_PROPERTIES.has(property.key)) {
            issues.error(
              file,
              property.line,
              `audit property ${property.key} is not supported by sluice`,
              property.key,
            );
          } else {
            issues.error(file, property.line, `unknown audit property '${property.key}'`, property.key);
          }
      }
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      issues.error(file, error.line, error.message, error.text);
    }
  }
  if (name === undefined) {
    if (!seen.has('name')) issues.error(file, block.line, 'the AUDIT block has no name');
    return undefined;
  }
  const statements = splitStatements(source, tokens, block.end, end);
  const [query, ...extra] = statements;
  if (!query) {
    issues.error(file, block.line, `audit ${name} has no query`);
    return undefined;
  }
  for (const statement of extra) {
    issues.error(file, statement.line, `audit ${name} has more than one statement: an audit is one query`);
  }
  const parameters: AuditDefinition['parameters'] = [];
  for (const macro of findUnsupportedMacros(query.text, query.line)) {
    const macroLine = macro.line;
    const param = macro.name.toLowerCase();
    const call = query.tokens.find(
      (t, k) =>
        t.type === 'macro' &&
        macroName(t).toLowerCase() === param &&
        query.tokens[k + 1]?.text === '(' &&
        query.tokens[k + 1]!.start === t.start + t.text.length,
    );
    if (call)
      issues.error(file, call.line, `macro @${macroName(call)} is not supported by sluice`, call.text);
    else if (!(param in defaults) && !parameters.some((p) => p.name === param)) {
      parameters.push({ name: param, line: macroLine });
    }
  }
  return {
    audit: {
      name,
      query: query.text,
      blocking,
      ...(dialect === undefined ? {} : { dialect }),
      defaults,
      location: { file, line: nameLine },
    },
    parameters,
    nameLine,
  };
}

/** `defaults (column = id, threshold := 10)`. */
function readDefaults(value: Value): Record<string, string> {
  const only = value.terms[0];
  if (value.terms.length !== 1 || only?.type !== 'group') {
    throw new ValueError('defaults must be a list like (name = value, ...)', value.line);
  }
  return readArguments(only.items, 'defaults');
}
