import * as fs from 'node:fs';
import * as path from 'node:path';

/** slipkit's own package.json, found by walking up from this file (works from dist/ and from sources). */
export function ownPackage(): { name: string; version: string } {
  let dir = __dirname;
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name: string; version: string };
      if (pkg.name === 'slipkit') return pkg;
    }
    const up = path.dirname(dir);
    if (up === dir) return { name: 'slipkit', version: 'unknown' };
    dir = up;
  }
}
