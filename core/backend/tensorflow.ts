import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fusedOpsUnavailable, loadFusedOps } from './fused-ops';
import { describeGemm, gemmUnavailable, loadGemm } from './gemm';
import { nativeInstall, SETUP_COMMAND } from './native-install';
import { installedVersion, packageRoot } from './package-root';
import { firstLine, loadModule } from './load-module';
import { activateTfBackend, captureTfWarnings, checkComputes, failureText, reselect } from './tfjs-engine';
import type { BackendCandidate, BackendProbe } from './types';

/*
 * The native `tensorflow` backend: tfjs-node's addon on libtensorflow. Three sources, tried in
 * this order: @tensorflow/tfjs-node-gpu from node_modules (only when an NVIDIA driver is
 * loaded), @tensorflow/tfjs-node from node_modules (a normal install), and the copy that
 * `npm run setup:native` builds in .native/ against the TensorFlow C API from PyPI.
 *
 * Only one of them can be loaded per process: each registers the backend name 'tensorflow' and
 * its kernels in the engine, and importing it also selects 'tensorflow' as a side effect (which
 * the probe undoes). Whatever loads first is what this process keeps.
 */

/** The fields of tfjs-node's NodeJSKernelBackend read here. */
interface NodeKernelBackend {
  isUsingGpuDevice?: boolean;
  binding?: { TF_Version?: string };
}

interface Source {
  /** How the source is named in reasons: "tfjs-node-gpu (node_modules)". */
  label: string;
  packageName: string;
  /** What to require, or why this source is not there. */
  locate(): { entry: string } | { absent: string };
  /** Where libtensorflow came from, for doctor. */
  libtensorflowSource(): string;
}

const nvidiaDriverLoaded = (): boolean => fs.existsSync('/proc/driver/nvidia/version');

function fromNodeModules(packageName: string, label: string, precondition?: () => string | undefined): Source {
  return {
    label,
    packageName,
    locate() {
      const version = installedVersion(packageName);
      if (version === undefined) return { absent: `${packageName} is not installed` };
      const blocked = precondition?.();
      if (blocked) return { absent: `${packageName} ${version} is installed but ${blocked}` };
      return { entry: packageName };
    },
    libtensorflowSource: () => `the libtensorflow ${packageName}'s install script downloaded`,
  };
}

const nativeSource: Source = {
  label: 'tfjs-node (.native)',
  packageName: '@tensorflow/tfjs-node',
  locate() {
    const install = nativeInstall();
    return install.ready ? { entry: install.tfjsNodeDir } : { absent: `native build ${install.problem}` };
  },
  libtensorflowSource() {
    const lib = nativeInstall().manifest?.libtensorflow;
    return lib ? lib.source : 'unknown (no setup manifest)';
  },
};

const SOURCES: Source[] = [
  fromNodeModules('@tensorflow/tfjs-node-gpu', 'tfjs-node-gpu (node_modules)', () => (nvidiaDriverLoaded() ? undefined : 'no NVIDIA driver is loaded')),
  fromNodeModules('@tensorflow/tfjs-node', 'tfjs-node (node_modules)'),
  nativeSource,
];

/**
 * libtensorflow reads these when it loads, so they are set before the addon is required, and
 * only where the user has not set them: oneDNN kernels (TF enables them by default only on some
 * x86 CPUs, e.g. AVX-512 VNNI ones; forcing them on took a SLIP step from 11.0 s to 7.0 s where
 * they were off) and TF's C++ logging (which otherwise floods stderr; the two absl lines printed
 * before TF configures its logging cannot be silenced this way).
 */
function setNativeEnvDefaults(): string {
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  process.env.TF_ENABLE_ONEDNN_OPTS ??= '1';
  return process.env.TF_ENABLE_ONEDNN_OPTS === '0' ? 'oneDNN off' : 'oneDNN on';
}

let probed: Promise<BackendProbe> | undefined;

async function probeTensorflow(): Promise<BackendProbe> {
  const skipped: string[] = [];
  for (const source of SOURCES) {
    const where = source.locate();
    if ('absent' in where) {
      skipped.push(where.absent);
      continue;
    }
    return loadSource(source, where.entry, skipped);
  }
  return { name: 'tensorflow', available: false, reason: `${skipped.join('; ')}` };
}

async function loadSource(source: Source, entry: string, skipped: string[]): Promise<BackendProbe> {
  const unavailable = (why: string): BackendProbe => ({ name: 'tensorflow', available: false, reason: [...skipped, `${source.label}: ${why}`].join('; ') });
  const oneDnn = setNativeEnvDefaults();
  const previous = tf.getBackend();
  const { value: loaded, warnings } = await captureTfWarnings(() => loadModule<unknown>(entry, [packageRoot()]));
  try {
    if (!loaded.ok) return unavailable(`fails to load: ${loaded.reason}${source === nativeSource ? ` (rerun \`${SETUP_COMMAND}\`)` : ''}`);
    if (tf.findBackendFactory('tensorflow') === null) {
      return unavailable(`loaded, but it registered its backend in another copy of @tensorflow/tfjs-core (${otherTfjsCore(entry)}) instead of slipkit's`);
    }
    const backend = tf.findBackend('tensorflow') as unknown as NodeKernelBackend | null;
    if (!backend) return unavailable(`loaded, but the backend did not initialise: ${failureText(warnings, 'no reason given')}`);
    await tf.setBackend('tensorflow');
    try {
      await checkComputes();
    } catch (err) {
      return unavailable(`loaded, but ${firstLine(err)}`);
    }
    const fusedOps = source === nativeSource ? loadNativeFusedOps() : noFusedOps(`they are built for the ${nativeSource.label} source only`);
    const gemm = source === nativeSource ? loadNativeGemm() : (gemmUnavailable(`setup's GEMM is for the ${nativeSource.label} source only`), describeGemm());
    const version = packageVersion(packageDir(entry));
    const tfVersion = backend.binding?.TF_Version ?? '?';
    const device = source.packageName.endsWith('-gpu') ? (backend.isUsingGpuDevice ? 'GPU' : 'CPU (no GPU device in use)') : 'CPU';
    return {
      name: 'tensorflow',
      available: true,
      reason: `${source.label.replace(/ \(.*/, '')} ${version} on libtensorflow ${tfVersion}, ${device}, ${oneDnn}`,
      details: { package: `${source.packageName} ${version}`, from: source.label, libtensorflow: `${tfVersion} from ${source.libtensorflowSource()}`, device, fusedOps, gemm },
    };
  } finally {
    await reselect(previous);
  }
}

/** Loads slipkit's fused ops into the native backend; says what happened, for doctor. */
function loadNativeFusedOps(): string {
  const install = nativeInstall();
  const build = install.manifest?.fusedOps;
  if (!build) return noFusedOps(`not built (setup predates them): rerun \`${SETUP_COMMAND}\``);
  if (!build.addon) return noFusedOps(`the build failed (${build.error ?? 'no reason recorded'}): rerun \`${SETUP_COMMAND} -- --verbose\``);
  const state = loadFusedOps(path.join(install.dir, build.addon));
  return state.loaded ? `${state.ops.length} ops on ${state.threads} threads` : noFusedOps(state.reason);
}

/** Loads the GEMM library setup chose, if it chose one over TensorFlow's MatMul; says which, for doctor. */
function loadNativeGemm(): string {
  const install = nativeInstall();
  const choice = install.manifest?.gemm;
  if (!choice) gemmUnavailable(`setup predates the GEMM choice: rerun \`${SETUP_COMMAND}\``);
  else if (choice.chosen === 'tensorflow') gemmUnavailable(choice.why);
  else {
    const library = choice.candidates[choice.chosen]?.library;
    if (!choice.addon || !library) gemmUnavailable(`the manifest names ${choice.chosen} but not its addon and library: rerun \`${SETUP_COMMAND}\``);
    else loadGemm(path.join(install.dir, choice.addon), path.join(install.dir, library), choice.chosen);
  }
  return describeGemm();
}

/** Records and returns why the fused ops are off (the layers then use tfjs ops). */
function noFusedOps(reason: string): string {
  fusedOpsUnavailable(reason);
  return `off: ${reason}`;
}

/** The folder of the package `entry` names (a package name, or already a folder). */
function packageDir(entry: string): string {
  return path.isAbsolute(entry) ? entry : path.dirname(require.resolve(`${entry}/package.json`, { paths: [packageRoot()] }));
}

function packageVersion(dir: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}

/** Where the tfjs-core that `entry` loaded lives (to name it when it is not slipkit's). */
function otherTfjsCore(entry: string): string {
  try {
    return path.dirname(require.resolve('@tensorflow/tfjs-core/package.json', { paths: [packageDir(entry)] }));
  } catch {
    return 'location unknown';
  }
}

export const tensorflowCandidate: BackendCandidate = {
  name: 'tensorflow',
  probe: () => (probed ??= probeTensorflow()),
  activate: () => activateTfBackend('tensorflow'),
};
