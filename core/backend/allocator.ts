import * as fs from 'node:fs';

/**
 * Which allocator this process runs on. bin/slipkit preloads gperftools' tcmalloc where Debian's
 * libtcmalloc-minimal4 is installed and tells TensorFlow to allocate from it
 * (TF_ONEDNN_USE_SYSTEM_ALLOCATOR=1) instead of its own pool; an allocator can only be chosen
 * before the process starts, so `node bin/slipkit.js` keeps the default. What is reported is
 * what is mapped into the process, not what the environment asked for.
 */
export interface ProcessAllocator {
  name: 'tcmalloc' | 'default';
  /** One line for `slipkit doctor`. */
  description: string;
}

export function processAllocator(maps = readOwnMaps()): ProcessAllocator {
  const library = maps.split('\n').map((line) => line.split(/\s+/)[5] ?? '').find((file) => /\/libtcmalloc(_minimal)?\.so/.test(file));
  if (library) {
    const tensorflow = process.env.TF_ONEDNN_USE_SYSTEM_ALLOCATOR === '1' ? 'TensorFlow allocates from it' : 'TensorFlow still uses its own pool (TF_ONEDNN_USE_SYSTEM_ALLOCATOR is not 1)';
    return { name: 'tcmalloc', description: `tcmalloc (${library}); ${tensorflow}` };
  }
  const why = process.env.SLIPKIT_ALLOCATOR === 'default'
    ? 'SLIPKIT_ALLOCATOR=default'
    : 'run through bin/slipkit with libtcmalloc-minimal4 installed for tcmalloc, and less peak memory on the native backend';
  return { name: 'default', description: `glibc malloc and TensorFlow's own pool (${why})` };
}

function readOwnMaps(): string {
  try {
    return fs.readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return '';
  }
}
