import * as path from 'node:path';

/** The repository root: tests run from it (npm test), or SLIPKIT_ROOT says where it is. */
export const repoRoot = path.resolve(process.env.SLIPKIT_ROOT ?? process.cwd());

export const fixturePath = (...parts: string[]): string => path.join(repoRoot, 'test', 'fixtures', ...parts);
