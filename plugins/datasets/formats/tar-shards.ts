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
  /** Set when the shard broke off in or right after this group (cut short, corrupt): its members may be incomplete. */
  problem?: string;
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
 * Streams a tar shard and yields consecutive members with the same key as one group. A shard
 * that is missing or unreadable from its start is a DataError naming it. One that breaks off
 * later (cut mid-member, corrupt header, or ending without tar's end-of-archive blocks, which
 * is how a shard cut between two members shows) yields the group it broke in with a `problem`
 * naming the shard and member, and ends there: nothing after the break can be read.
 */
export async function* readShard(file: string): AsyncGenerator<ShardGroup> {
  if (!fs.existsSync(file)) throw new DataError('shard not found', file);
  const extract = tar.extract();
  const source = fs.createReadStream(file);
  pipeline(source, extract, () => undefined); // errors surface through the extract iterator below
  let current: ShardGroup | undefined;
  let member = -1;
  let lastName = '';
  let broken: string | undefined;
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
    if (member < 0) throw new DataError(`cannot read tar shard: ${(err as Error).message}`, file, 'start of archive', { cause: err });
    broken = `tar shard ${file} broke off in or after member ${member} "${lastName}" (${(err as Error).message}): the rest of the shard is lost`;
  } finally {
    source.destroy();
  }
  if (member < 0) throw new DataError('empty or invalid tar shard', file);
  if (broken === undefined && !(await endsWithEndOfArchive(file))) {
    broken = `tar shard ${file} ends after member ${member} "${lastName}" without tar's end-of-archive blocks: it was cut short`;
  }
  if (broken === undefined) {
    if (current) yield current;
    return;
  }
  const key = splitMemberName(lastName)?.key ?? lastName;
  if (current && current.key !== key) {
    yield current;
    current = undefined;
  }
  yield { key, files: current?.files ?? new Map(), member: current?.member ?? member, problem: broken };
}

/** Whether the file ends with the two zero 512-byte blocks every tar writer puts at the end of an archive. */
async function endsWithEndOfArchive(file: string): Promise<boolean> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 1024) return false;
    const tail = Buffer.alloc(1024);
    await handle.read(tail, 0, 1024, size - 1024);
    return tail.every((b) => b === 0);
  } finally {
    await handle.close();
  }
}
