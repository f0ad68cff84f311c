import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './mlflow-server';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  if (r.error) return { ok: false, out: r.error.message };
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/**
 * A real one-node SLURM cluster for tests: munged with its own key (made with dd-like random
 * bytes) and socket, slurmctld and slurmd on free ports, all state, spool, logs and pid files
 * in a temporary folder, and a slurm.conf for this host (SlurmUser=root,
 * proctrack/linuxproc, task/none, select/cons_tres, CPUs = this machine's). Needs root (as in
 * CI containers) and slurm-wlm + munge (scripts/provision/slurm.sh). Clients reach it through
 * `env` (SLURM_CONF). stop() ends exactly the daemons it started, by their pid files.
 */
export class SlurmTestCluster {
  readonly env: NodeJS.ProcessEnv;
  readonly conf: string;

  private constructor(readonly dir: string) {
    this.conf = path.join(dir, 'slurm.conf');
    this.env = { SLURM_CONF: this.conf };
  }

  /** Fails (never skips) with the reason when a cluster cannot be started here. */
  static check(): void {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) throw new Error('the SLURM tests start slurmd, which needs root (SlurmUser=root), as in the CI container');
    for (const bin of ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue']) {
      const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${bin} is not installed: run "bash scripts/provision/slurm.sh" (slurm-wlm, munge)`);
    }
  }

  static async start(): Promise<SlurmTestCluster> {
    SlurmTestCluster.check();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipkit-slurm-'));
    const c = new SlurmTestCluster(dir);
    try {
      await c.boot();
    } catch (err) {
      const logs = ['slurmctld.log', 'slurmd.log', 'munged.log'].map((f) => `--- ${f}\n${c.tail(f)}`).join('\n');
      await c.stop();
      throw new Error(`${(err as Error).message}\n${logs}`);
    }
    return c;
  }

  private tail(file: string): string {
    const p = path.join(this.dir, file);
    return fs.existsSync(p) ? fs.readFileSync(p, 'utf8').split('\n').slice(-15).join('\n') : '(none)';
  }

  private async boot(): Promise<void> {
    const d = this.dir;
    for (const sub of ['state', 'spool', 'munge']) fs.mkdirSync(path.join(d, sub), { mode: 0o700 });
    const key = path.join(d, 'munge', 'munge.key');
    fs.writeFileSync(key, crypto.randomBytes(1024), { mode: 0o400 });
    const socket = path.join(d, 'munge', 'munge.sock');
    const munge = run('munged', ['-f', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${path.join(d, 'munged.pid')}`, `--log-file=${path.join(d, 'munged.log')}`, `--seed-file=${path.join(d, 'munge', 'seed')}`]);
    if (!munge.ok) throw new Error(`munged did not start: ${munge.out}`);
    const host = os.hostname().split('.')[0];
    const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
    const conf = [
      'ClusterName=slipkit-test',
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'SlurmUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${path.join(d, 'state')}`,
      `SlurmdSpoolDir=${path.join(d, 'spool')}`,
      `SlurmctldPidFile=${path.join(d, 'slurmctld.pid')}`,
      `SlurmdPidFile=${path.join(d, 'slurmd.pid')}`,
      `SlurmctldLogFile=${path.join(d, 'slurmctld.log')}`,
      `SlurmdLogFile=${path.join(d, 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'ReturnToService=2',
      'MpiDefault=none',
      'JobCompType=jobcomp/none',
      // A requeued job may start again at once (the SIGTERM test requeues).
      'MinJobAge=300',
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${os.cpus().length} State=UNKNOWN`,
      `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4`,
      '',
    ].join('\n');
    fs.writeFileSync(this.conf, conf);
    const ctld = run('slurmctld', ['-f', this.conf, '-i'], this.env);
    if (!ctld.ok) throw new Error(`slurmctld did not start: ${ctld.out}`);
    const slurmd = run('slurmd', ['-f', this.conf], this.env);
    if (!slurmd.ok) throw new Error(`slurmd did not start: ${slurmd.out}`);
    for (let i = 0; i < 60; i++) {
      const state = run('sinfo', ['-h', '-o', '%T'], this.env);
      if (state.ok && /^idle/m.test(state.out)) return;
      await sleep(500);
    }
    throw new Error(`the node did not become idle: ${run('sinfo', [], this.env).out}`);
  }

  /** A job's state from squeue (PENDING, RUNNING, ...), or undefined once it left the queue. */
  jobStates(jobId: string): string[] {
    const r = run('squeue', ['-h', '-j', jobId, '-o', '%T'], this.env);
    return r.ok ? r.out.split('\n').filter(Boolean) : [];
  }

  /** Waits until every task of the job (an array's too) has left the queue. */
  async waitForJob(jobId: string, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this.jobStates(jobId).length === 0) return;
      await sleep(1000);
    }
    throw new Error(`job ${jobId} still queued or running after ${timeoutMs / 1000} s: ${this.jobStates(jobId).join(', ')}\n${this.tail('slurmctld.log')}`);
  }

  /** Waits until the job is running. */
  async waitForRunning(jobId: string, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this.jobStates(jobId).includes('RUNNING')) return;
      await sleep(300);
    }
    throw new Error(`job ${jobId} did not start within ${timeoutMs / 1000} s`);
  }

  scancel(args: string[]): { ok: boolean; out: string } {
    return run('scancel', args, this.env);
  }

  /** Stops slurmd, slurmctld and munged (the ones this cluster started) and removes the folder. */
  async stop(): Promise<void> {
    for (const pidFile of ['slurmd.pid', 'slurmctld.pid', 'munged.pid']) {
      const file = path.join(this.dir, pidFile);
      if (!fs.existsSync(file)) continue;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (!(pid > 1)) continue;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        continue;
      }
      for (let i = 0; i < 50; i++) {
        try {
          process.kill(pid, 0);
          await sleep(100);
        } catch {
          break;
        }
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
