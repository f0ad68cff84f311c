import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The slipkit package root (the folder holding its package.json), found by walking up from this
 * module so that it is right from core/ (ts-node), dist/core/ (built) and node_modules/slipkit/.
 * A build emitted outside the package (tsc --outDir elsewhere) falls back to the working directory.
 */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string };
      if (pkg.name === 'slipkit') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** Version of an installed package as `require` would resolve it from `from`, or undefined when absent. */
export function installedVersion(pkg: string, from: string = packageRoot()): string | undefined {
  try {
    const file = require.resolve(`${pkg}/package.json`, { paths: [from] });
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}
