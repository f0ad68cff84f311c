import * as fs from 'node:fs';
import { pipeline } from 'node:stream';
import * as tar from 'tar-stream';
import { DataError } from '../../../core/toolkit';

/** The files of one webdataset sample: members sharing a key, by extension ("jpg", "txt", "seg.png"). */
export interface ShardGroup {
  key: string;
  files: Map<string, Buffer>;
  /** Index of the group's first member in the shard (for messages). */
  member: number;
}

/**
 * webdataset's key/extension split: the key is the path up to the first dot of the file
 * name, the extension everything after it (`a/b/x.seg.png` -> `a/b/x`, `seg.png`).
 */
export function splitMemberName(name: string): { key: string; ext: string } | undefined {
  const match = /^((?:.*\/|)[^./]+)\.([^/]*)$/.exec(name);
  return match ? { key: match[1], ext: match[2].toLowerCase() } : undefined;
}

/**
 * Streams a tar shard and yields consecutive members with the same key as one group.
 * Errors (missing shard, corrupt archive) are DataErrors naming the shard and the last
 * member read.
 */
export async function* readShard(file: string): AsyncGenerator<ShardGroup> {
  if (!fs.existsSync(file)) throw new DataError('shard not found', file);
  const extract = tar.extract();
  const source = fs.createReadStream(file);
  pipeline(source, extract, () => undefined); // errors surface through the extract iterator below
  let current: ShardGroup | undefined;
  let member = -1;
  let lastName = '';
  try {
    for await (const entry of extract) {
      member++;
      lastName = entry.header.name;
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (entry.header.type !== 'file') continue;
      const parts = splitMemberName(entry.header.name);
      if (!parts) continue; // no extension: not part of a sample (webdataset ignores these too)
      if (current && current.key !== parts.key) {
        yield current;
        current = undefined;
      }
      current ??= { key: parts.key, files: new Map(), member };
      current.files.set(parts.ext, Buffer.concat(chunks));
    }
  } catch (err) {
    if (err instanceof DataError) throw err;
    const where = member < 0 ? 'start of archive' : `after member ${member} "${lastName}"`;
    throw new DataError(`cannot read tar shard: ${(err as Error).message}`, file, where, { cause: err });
  } finally {
    source.destroy();
  }
  if (member < 0) throw new DataError('empty or invalid tar shard', file);
  if (current) yield current;
}
