/** Converts between ajv's JSON Pointers (`/objectives/1/temperature`) and readable paths (`objectives[1].temperature`). */
export function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return joinPath(parts);
}

/** Joins segments: numbers become `[i]`, identifiers `.key`, anything else `["key"]`. */
export function joinPath(parts: ReadonlyArray<string | number>): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number' || /^\d+$/.test(p)) out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

/** Reads the value at a JSON pointer, or undefined. */
export function valueAtPointer(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** A short rendering of a found value for messages: `-0.1`, `"abc"`, `an object`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  return String(value);
}
