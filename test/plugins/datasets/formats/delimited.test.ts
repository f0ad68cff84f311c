/** CSV/TSV parsing with line numbers (no data). */
import { strict as assert } from 'node:assert';
import { parseDelimited } from '../../../../plugins/datasets/formats/delimited';
import { DataError } from '../../../../core/errors';

describe('parseDelimited', () => {
  it('parses RFC 4180 CSV: quotes, doubled quotes, commas and newlines inside quotes, CRLF', () => {
    const text = 'filepath,title\r\na.jpg,"a dog, running"\r\nb.jpg,"she said ""hi""\nthen left"\r\n\r\nc.jpg,plain\r\n';
    assert.deepEqual(parseDelimited(text, 'csv', 'm.csv'), [
      { line: 1, fields: ['filepath', 'title'] },
      { line: 2, fields: ['a.jpg', 'a dog, running'] },
      { line: 3, fields: ['b.jpg', 'she said "hi"\nthen left'] },
      { line: 6, fields: ['c.jpg', 'plain'] },
    ]);
  });

  it('keeps an empty quoted field and a last line without newline', () => {
    assert.deepEqual(parseDelimited('a,""\nb,c', 'csv', 'm.csv'), [
      { line: 1, fields: ['a', ''] },
      { line: 2, fields: ['b', 'c'] },
    ]);
  });

  it('parses TSV without quoting (CC3M style), quotes kept literally', () => {
    assert.deepEqual(parseDelimited('a "quoted" caption\thttp://x/1.jpg\n\nsecond\tb.jpg\r\n', 'tsv', 'm.tsv'), [
      { line: 1, fields: ['a "quoted" caption', 'http://x/1.jpg'] },
      { line: 3, fields: ['second', 'b.jpg'] },
    ]);
  });

  it('names the file and line of an unterminated quote', () => {
    assert.throws(
      () => parseDelimited('a,b\nc,"never closed\n', 'csv', 'm.csv'),
      (err: unknown) => err instanceof DataError && err.message === 'm.csv:line 2: unterminated quoted field',
    );
  });
});
