/**
 * Reads a seed's CSV text the way SQLMesh does (it hands the file to pandas' `read_csv` with its
 * defaults): comma-separated, `"` quotes with `""` for a quote inside, blank lines skipped, short
 * rows padded with missing values, long rows rejected, and pandas' default missing-value markers
 * (an empty field, `NULL`, `NA`, `NaN`, `None`, ...) read as NULL.
 */

/** pandas' default `na_values`: a field equal to one of these is missing. */
export const MISSING_VALUE_MARKERS: ReadonlySet<string> = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
]);

export interface CsvTable {
  /** header fields as written. */
  header: string[];
  /** one entry per data row, as long as the header; null for a missing value. */
  rows: Array<Array<string | null>>;
  /** 1-based line on which each data row starts. */
  lines: number[];
}

export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'CsvError';
  }
}

interface Record {
  fields: string[];
  line: number;
}

/** Parses CSV text; throws `CsvError` naming the line of the first problem. */
export function parseCsv(text: string): CsvTable {
  const records = splitRecords(text.startsWith('\uFEFF') ? text.slice(1) : text);
  const [head, ...body] = records;
  if (!head) throw new CsvError('the CSV file has no header row', 1);
  const header = head.fields;
  const rows: CsvTable['rows'] = [];
  const lines: number[] = [];
  for (const record of body) {
    if (record.fields.length > header.length) {
      throw new CsvError(
        `row has ${record.fields.length} fields but the header has ${header.length} columns`,
        record.line,
      );
    }
    const row: Array<string | null> = header.map((_, i) => {
      const field = record.fields[i];
      return field === undefined || MISSING_VALUE_MARKERS.has(field) ? null : field;
    });
    rows.push(row);
    lines.push(record.line);
  }
  return { header, rows, lines };
}

/** Splits text into records of raw field values; lines with nothing on them are skipped. */
function splitRecords(text: string): Record[] {
  const records: Record[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const startLine = line;
    const fields: string[] = [];
    let field = '';
    let blank = true;
    let endOfRecord = false;
    while (!endOfRecord) {
      const ch = text[i];
      if (ch === undefined) {
        endOfRecord = true;
      } else if (ch === '"' && field === '') {
        // a quote opens a field only when nothing was read for the field yet
        blank = false;
        const close = closingQuote(text, i + 1, line);
        const inner = text.slice(i + 1, close);
        for (const c of inner) if (c === '\n') line++;
        field += inner.replaceAll('""', '"');
        i = close + 1;
      } else if (ch === ',') {
        blank = false;
        fields.push(field);
        field = '';
        i++;
      } else if (ch === '\n' || ch === '\r') {
        i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
        endOfRecord = true;
      } else {
        blank = false;
        field += ch;
        i++;
      }
    }
    if (blank) continue;
    fields.push(field);
    records.push({ fields, line: startLine });
  }
  return records;
}

/** Index of the quote that closes a quoted field opened before `from`. */
function closingQuote(text: string, from: number, line: number): number {
  let j = from;
  for (;;) {
    const k = text.indexOf('"', j);
    if (k < 0) throw new CsvError('a quoted field is never closed', line);
    if (text[k + 1] === '"') {
      j = k + 2;
      continue;
    }
    return k;
  }
}
