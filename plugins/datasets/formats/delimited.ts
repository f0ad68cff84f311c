import { DataError } from '../../../core/toolkit';

/** One parsed record and the (1-based) line of the file it starts on. */
export interface DelimitedRow {
  line: number;
  fields: string[];
}

/**
 * Parses CSV (RFC 4180: quoted fields, doubled quotes, newlines inside quotes) or TSV
 * (tab-separated, no quoting, as the CC3M/CC12M lists are). Blank lines are skipped; a
 * trailing carriage return is dropped. `file` is used for error messages only.
 */
export function parseDelimited(text: string, format: 'csv' | 'tsv', file: string): DelimitedRow[] {
  return format === 'tsv' ? parseTsv(text) : parseCsv(text, file);
}

function parseTsv(text: string): DelimitedRow[] {
  const rows: DelimitedRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === '') continue;
    rows.push({ line: i + 1, fields: line.split('\t') });
  }
  return rows;
}

function parseCsv(text: string, file: string): DelimitedRow[] {
  const rows: DelimitedRow[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let quoted = false;
  let quoteStartLine = 0;
  let fieldWasQuoted = false;
  const endRow = (): void => {
    fields.push(field);
    const blank = fields.length === 1 && fields[0] === '' && !fieldWasQuoted;
    if (!blank) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    fieldWasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      fieldWasQuoted = true;
      quoteStartLine = line;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      fieldWasQuoted = false;
    } else if (c === '\n') {
      endRow();
      line++;
      rowLine = line;
    } else if (c === '\r' && text[i + 1] === '\n') {
      continue;
    } else {
      field += c;
    }
  }
  if (quoted) throw new DataError('unterminated quoted field', file, `line ${quoteStartLine}`);
  if (field !== '' || fields.length > 0 || fieldWasQuoted) endRow();
  return rows;
}
