import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError, resolveInside } from '../../../core/toolkit';
import { parseDelimited } from './delimited';

export type ManifestFormat = 'csv' | 'tsv' | 'jsonl';

export interface ManifestColumns {
  image: string;
  /** One or more caption columns; each non-empty cell adds candidates. */
  captions: readonly string[];
  label?: string;
}

export interface ManifestReadOptions {
  format: ManifestFormat | 'auto';
  columns: ManifestColumns;
  /** Folder image paths are relative to; nothing outside it is read. */
  imageRoot: string;
  /** CSV/TSV: the first row names the columns; without it columns are named "0", "1", … */
  header: boolean;
  /** Splits one caption cell into several captions (e.g. "||"). */
  captionSeparator?: string;
}

/** One image listed in a manifest, with where it was listed. */
export interface ManifestEntry {
  /** Path as written in the manifest. */
  relative: string;
  absolute: string;
  captions: string[];
  label?: number;
  line: number;
  /** Why this entry is a bad sample (skipped and counted by the loader), when it is one. */
  problem?: string;
}

export function detectFormat(file: string): ManifestFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  throw new DataError(`cannot tell the manifest format from the extension "${ext}"; set format to csv, tsv or jsonl`, file);
}

/**
 * Reads a manifest (CSV, TSV or JSONL) into entries, checking everything that can be
 * checked without opening the images. A manifest that cannot be parsed (columns missing,
 * invalid JSON, a bad label, no rows) is a DataError naming the file and line. A row whose
 * image path leaves the image root, or whose bytes are not UTF-8 (decoded with U+FFFD for the
 * message), is kept as a bad sample with its `problem`: the loader skips and counts it.
 */
export function readManifest(file: string, options: ManifestReadOptions): ManifestEntry[] {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? 'manifest not found' : `cannot read manifest: ${(err as Error).message}`, file);
  }
  const badLines = linesNotUtf8(bytes);
  let text = bytes.toString('utf8'); // invalid sequences become U+FFFD; their rows are bad samples below
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark
  const format = options.format === 'auto' ? detectFormat(file) : options.format;
  const records = format === 'jsonl' ? jsonlRecords(text, file) : delimitedRecords(text, format, file, options);
  const entries: ManifestEntry[] = [];
  for (const [i, { line, get }] of records.entries()) {
    const where = `line ${line}`;
    const image = get(options.columns.image);
    if (typeof image !== 'string' || image.trim() === '') {
      throw new DataError(`missing image path in column "${options.columns.image}"`, file, where);
    }
    const relative = image.trim();
    const inside = resolveInside(options.imageRoot, relative);
    const captions: string[] = [];
    for (const column of options.columns.captions) captions.push(...splitCaptions(get(column), options.captionSeparator));
    // Never read: a path outside the root points nowhere (the root itself stands in for it).
    const entry: ManifestEntry = { relative, absolute: inside ?? path.resolve(options.imageRoot), captions, line };
    if (options.columns.label !== undefined) entry.label = parseLabel(get(options.columns.label), file, where);
    const nextLine = records[i + 1]?.line ?? Number.POSITIVE_INFINITY;
    const badLine = badLines.find((l) => l >= line && l < nextLine);
    if (!inside) entry.problem = `image path "${relative}" leaves the image root ${options.imageRoot}`;
    else if (badLine !== undefined) entry.problem = `line ${badLine} has bytes that are not UTF-8 (read as U+FFFD: ${JSON.stringify(captions.join(' | '))})`;
    entries.push(entry);
  }
  if (entries.length === 0) throw new DataError('manifest lists no images', file);
  return entries;
}

/** 1-based numbers of the lines (split at \n bytes, which UTF-8 never uses inside a character) that are not valid UTF-8. */
function linesNotUtf8(bytes: Buffer): number[] {
  const strict = new TextDecoder('utf-8', { fatal: true });
  const check = (part: Uint8Array): boolean => {
    try {
      strict.decode(part);
      return true;
    } catch {
      return false;
    }
  };
  if (check(bytes)) return [];
  const bad: number[] = [];
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    if (!check(bytes.subarray(start, end))) bad.push(line);
    start = end + 1;
  }
  return bad;
}

interface ManifestRecord {
  line: number;
  get: (column: string) => unknown;
}

function delimitedRecords(text: string, format: 'csv' | 'tsv', file: string, options: ManifestReadOptions): ManifestRecord[] {
  const rows = parseDelimited(text, format, file);
  if (rows.length === 0) throw new DataError('manifest is empty', file);
  let names: string[];
  let body = rows;
  if (options.header) {
    names = rows[0].fields.map((f) => f.trim());
    body = rows.slice(1);
  } else {
    names = rows[0].fields.map((_, i) => String(i));
  }
  const wanted = [options.columns.image, ...options.columns.captions, ...(options.columns.label !== undefined ? [options.columns.label] : [])];
  for (const column of wanted) {
    if (!names.includes(column)) {
      throw new DataError(`no column "${column}" (columns: ${names.map((n) => JSON.stringify(n)).join(', ')})`, file, `line ${rows[0].line}`);
    }
  }
  const index = new Map(names.map((n, i) => [n, i]));
  return body.map((row) => {
    if (row.fields.length < names.length) {
      throw new DataError(`expected ${names.length} fields, found ${row.fields.length}`, file, `line ${row.line}`);
    }
    return { line: row.line, get: (column: string) => row.fields[index.get(column)!] };
  });
}

function jsonlRecords(text: string, file: string): ManifestRecord[] {
  const records: ManifestRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new DataError(`invalid JSON: ${(err as Error).message}`, file, `line ${i + 1}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new DataError('each line must be a JSON object', file, `line ${i + 1}`);
    }
    const obj = value as Record<string, unknown>;
    records.push({ line: i + 1, get: (column) => obj[column] });
  }
  return records;
}

/**
 * Caption candidates from one cell: a JSON array of strings (a JSONL array, or a CSV cell
 * holding one), else the text split on the separator. Blank captions are dropped.
 */
function splitCaptions(cell: unknown, separator: string | undefined): string[] {
  let items: unknown[];
  if (Array.isArray(cell)) items = cell;
  else if (typeof cell === 'string') items = parseJsonList(cell) ?? (separator ? cell.split(separator) : [cell]);
  else if (typeof cell === 'number') items = [String(cell)];
  else items = [];
  return items.filter((x): x is string => typeof x === 'string').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** A cell holding a JSON array of strings, or undefined (an ordinary caption may be bracketed too). */
function parseJsonList(cell: string): string[] | undefined {
  const trimmed = cell.trim();
  if (!trimmed.startsWith('[') || !trimmed.endsWith(']')) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return Array.isArray(parsed) && parsed.every((x) => typeof x === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function parseLabel(cell: unknown, file: string, where: string): number {
  const value = typeof cell === 'string' ? Number(cell.trim()) : cell;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || (typeof cell === 'string' && cell.trim() === '')) {
    throw new DataError(`label must be a non-negative integer, got ${JSON.stringify(cell)}`, file, where);
  }
  return value;
}
