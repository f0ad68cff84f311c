import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from './package-root';

/** What scripts/setup-native.js writes to .native/slipkit-native.json once the addon loads. */
export interface NativeManifest {
  tfjsNode: string;
  libtensorflow: { version: string; source: string };
  /** The addon, relative to the native directory. */
  addon: string;
  napiVersion: number;
  builtWith: { node: string; platform: string };
  builtAt: string;
  /** slipkit's fused-ops addon (core/backend/native/): built, or why not. */
  fusedOps?: FusedOpsBuild;
  /** The GEMM setup measured and chose (core/backend/gemm.ts); absent before setup knew of it. */
  gemm?: GemmChoice;
}

/** The GEMM addon, the BLAS libraries setup installed, what it measured and what it chose. */
export interface GemmChoice {
  /** The addon (core/backend/native/gemm/), relative to the native directory; absent when it failed to build. */
  addon?: string;
  /** sha256 over the addon's sources and scripts/gemm-probe.js. */
  source: string;
  /** Each candidate library: its path relative to the native directory and where it came from, or why not. */
  candidates: Record<string, { library?: string; from?: string; error?: string }>;
  /** The step's products in ms, per candidate, measured in one process against TensorFlow's MatMul. */
  measured: Array<{ candidate: string; ms: number; tensorflowMs: number }>;
  /** `tensorflow` (TensorFlow's MatMul) or the name of a candidate. */
  chosen: string;
  /** Why chosen is what it is, in words. */
  why: string;
  error?: string;
}

/** The fused-ops addon as setup built it: its path (relative to the native directory) and source hash, or the build error. */
export interface FusedOpsBuild {
  addon?: string;
  /** sha256 over the fused-op sources (core/backend/native/) it was built from. */
  source: string;
  error?: string;
}

/** Where the provisioned native backend lives and what state it is in. */
export interface NativeInstall {
  /** The native directory: $SLIPKIT_NATIVE_DIR, else `.native/` in the package root. */
  dir: string;
  /** tfjs-node's package folder inside it. */
  tfjsNodeDir: string;
  /** The setup manifest, when setup finished. */
  manifest?: NativeManifest;
  /** Whether tfjs-node and its built addon are both in place. */
  ready: boolean;
  /** Why not ready, in words with the command that fixes it; undefined when ready. */
  problem?: string;
}

export const SETUP_COMMAND = 'npm run setup:native';

/** Reads the native install's state from disk; loads nothing. */
export function nativeInstall(): NativeInstall {
  const dir = path.resolve(process.env.SLIPKIT_NATIVE_DIR ?? path.join(packageRoot(), '.native'));
  const tfjsNodeDir = path.join(dir, 'node_modules', '@tensorflow', 'tfjs-node');
  const manifest = readManifest(path.join(dir, 'slipkit-native.json'));
  const shown = displayPath(dir);
  if (!fs.existsSync(path.join(tfjsNodeDir, 'package.json'))) {
    return { dir, tfjsNodeDir, manifest, ready: false, problem: `not provisioned (no ${shown}/): run \`${SETUP_COMMAND}\`` };
  }
  if (!manifest) {
    return { dir, tfjsNodeDir, ready: false, problem: `setup did not finish (no ${shown}/slipkit-native.json): rerun \`${SETUP_COMMAND}\`` };
  }
  if (!fs.existsSync(path.join(dir, manifest.addon))) {
    return { dir, tfjsNodeDir, manifest, ready: false, problem: `the addon ${manifest.addon} is missing: rerun \`${SETUP_COMMAND}\`` };
  }
  return { dir, tfjsNodeDir, manifest, ready: true };
}

/** A path as a user would type it: relative below the working directory, absolute elsewhere. */
export function displayPath(p: string): string {
  return p.startsWith(process.cwd() + path.sep) ? path.relative(process.cwd(), p) : p;
}

function readManifest(file: string): NativeManifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as NativeManifest;
  } catch {
    return undefined;
  }
}
