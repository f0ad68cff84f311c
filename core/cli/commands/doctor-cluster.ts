import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectLaunch } from '../../distributed/detect';
import { mpiAddonPath, MPI_SETUP_COMMAND } from '../../distributed/mpi-addon';

type Out = { write(s: string): unknown };

function firstLine(cmd: string, args: string[]): { ok: boolean; line: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return { ok: false, line: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : r.error.message };
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';
  return { ok: r.status === 0, line: text };
}

/** What `slipkit doctor` says about data-parallel runs: MPI (mpirun, slipkit's binding), SLURM (clients, controller, PMIx) and this process's launch. */
export function writeClusterStatus(out: Out): void {
  const mpirun = firstLine('mpirun', ['--version']);
  out.write(`mpi: ${mpirun.ok ? mpirun.line : `mpirun ${mpirun.line} (install openmpi-bin: bash scripts/provision/mpi.sh)`}\n`);
  const addon = mpiAddonPath();
  const manifest = path.join(path.dirname(addon), 'slipkit-mpi.json');
  if (fs.existsSync(addon)) {
    const built = fs.existsSync(manifest) ? (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { builtAt?: string; mpi?: string }) : {};
    out.write(`  binding ${addon} built ${built.builtAt?.slice(0, 10) ?? '(date unknown)'}${built.mpi ? ` against ${built.mpi}` : ''}\n`);
  } else {
    out.write(`  binding: not built (run \`${MPI_SETUP_COMMAND}\`); single-process runs do not need it\n`);
  }
  const sbatch = firstLine('sbatch', ['--version']);
  if (sbatch.line === 'not installed') {
    out.write('slurm: not installed (slurm-wlm: bash scripts/provision/slurm.sh); --launcher slurm unavailable\n');
  } else if (!sbatch.ok) {
    // Every SLURM client reads the cluster's configuration first, even for --version.
    out.write(`slurm: installed, but no cluster configured here (SLURM_CONF or /etc/slurm/slurm.conf): ${sbatch.line}\n`);
  } else {
    const ping = firstLine('scontrol', ['ping']);
    out.write(`slurm: ${sbatch.line}; controller: ${ping.ok ? ping.line : `unreachable (${ping.line})`}\n`);
    const mpiPlugins = spawnSync('srun', ['--mpi=list'], { encoding: 'utf8', timeout: 10_000 });
    const text = `${mpiPlugins.stdout ?? ''}${mpiPlugins.stderr ?? ''}`;
    out.write(`  srun --mpi=pmix: ${/pmix/.test(text) ? 'available' : 'not offered (srun --mpi=list)'}\n`);
  }
  try {
    const launch = detectLaunch();
    out.write(`launch: ${launch.launcher === 'none' ? 'a single process (no mpirun or srun world detected)' : `rank ${launch.rank} of ${launch.size} under ${launch.launcher}`}\n`);
  } catch (err) {
    out.write(`launch: ${(err as Error).message}\n`);
  }
}
