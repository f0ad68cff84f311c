import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckpointStore } from '../../core/checkpoint/store';
import { MlflowRestClient } from '../../plugins/trackers/mlflow/rest-client';
import { MlflowTestServer, requireMlflowInstall } from '../helpers/mlflow-server';
import { requireMpi, runProcess } from '../helpers/mpi';
import { repoRoot } from '../helpers/paths';
import { specPath, tempDir } from '../helpers/runs';
import { SlurmTestCluster } from '../helpers/slurm-cluster';

/**
 * `slipkit run --launcher slurm` on a real one-node SLURM cluster that this file starts
 * (munged, slurmctld, slurmd) and stops: a 2-rank SLIP run (srun --mpi=pmix) and a
 * 3-member sweep as a job array, both tracked to a real MLflow server.
 */
describe('SLURM launcher on a real single-node cluster', function () {
  this.timeout(300_000);
  let cluster: SlurmTestCluster | undefined;
  let mlflow: MlflowTestServer | undefined;
  let api: MlflowRestClient;
  let dir: string;

  before(async function () {
    this.timeout(180_000);
    requireMpi();
    requireMlflowInstall();
    cluster = await SlurmTestCluster.start();
    mlflow = await MlflowTestServer.start();
    api = new MlflowRestClient({ uri: mlflow.uri, retry: { maxRetries: 10, initialDelayMs: 100, maxDelayMs: 1000 } });
    dir = tempDir('slurm');
  });
  after(async function () {
    this.timeout(60_000);
    await cluster?.stop();
    await mlflow?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the CLI with the cluster's and MLflow's addresses in its environment (sbatch passes it on to the job). */
  async function slipkit(args: string[]): Promise<{ code: number | null; output: string }> {
    const env = { ...cluster!.env, MLFLOW_TRACKING_URI: mlflow!.uri };
    return runProcess(process.execPath, [path.join(repoRoot, 'bin', 'slipkit.js'), ...args], { env, timeoutMs: 60_000 });
  }

  function jobIdOf(output: string): string {
    const m = /submitted SLURM job (\d+)/.exec(output);
    assert.ok(m, `no job id in: ${output}`);
    return m[1];
  }

  async function runsOf(experiment: string) {
    const exp = await api.getExperimentByName(experiment);
    assert.ok(exp, `no MLflow experiment ${experiment}`);
    return api.searchRuns({ experiment_ids: [exp.experiment_id] });
  }

  it('slipkit doctor reports MPI, the binding, and the SLURM controller with srun --mpi=pmix', async () => {
    const { code, output } = await slipkit(['doctor', '--no-bench']);
    assert.equal(code, 0, output);
    assert.match(output, /^mpi: mpirun \(Open MPI\) \d/m);
    assert.match(output, /^ {2}binding \S+slipkit_mpi\.node built/m);
    assert.match(output, /^slurm: slurm[^\n]*; controller: Slurmctld\(primary\) at \S+ is UP/m);
    assert.match(output, /^ {2}srun --mpi=pmix: available/m);
  });

  it('--dry-run prints the sbatch script (srun --mpi=pmix, SIGTERM before the limit, resume on requeue) and submits nothing', async () => {
    const { code, output } = await slipkit(['run', specPath('distributed', 'tiny-slip.json'), '--launcher', 'slurm', '--nodes', '1', '--tasks-per-node', '2', '--time', '00:10:00', '--partition', 'test', '--dry-run', '--run-dir', path.join(dir, 'dry')]);
    assert.equal(code, 0, output);
    for (const line of ['#SBATCH --nodes=1', '#SBATCH --ntasks-per-node=2', '#SBATCH --time=00:10:00', '#SBATCH --partition=test', '#SBATCH --signal=TERM@120', '#SBATCH --requeue']) assert.ok(output.includes(line), `missing ${line}`);
    assert.match(output, /srun --mpi=pmix --kill-on-bad-exit=1 \S+ \S+slipkit\.js resume "\$RUN_DIR"/);
    assert.match(output, /srun --mpi=pmix --kill-on-bad-exit=1 \S+ \S+slipkit\.js run \S+tiny-slip\.json --run-dir \S+dry/);
    assert.ok(!fs.existsSync(path.join(dir, 'dry')), 'a dry run writes nothing');
  });

  it('runs SLIP on 2 ranks as one SLURM job: one FINISHED run, evaluated and tracked once by rank 0 with world_size 2', async () => {
    const runDir = path.join(dir, 'slip');
    const evalBlock = '[{"type":"retrieval","dataset":{"type":"synthetic-shapes","count":16,"size":16}}]';
    const { code, output } = await slipkit(['run', specPath('distributed', 'tiny-slip.json'), '--launcher', 'slurm', '--nodes', '1', '--tasks-per-node', '2', '--run-dir', runDir, '--set', 'train.steps=6', '--set', 'train.evalEvery=3', '--set', `eval=${evalBlock}`, '--set', 'tracking={"type":"mlflow","experiment":"slurm-slip"}']);
    assert.equal(code, 0, output);
    const job = jobIdOf(output);
    assert.ok(fs.existsSync(path.join(runDir, 'slurm.sbatch')), 'the script is kept in the run directory');
    await cluster!.waitForJob(job, 180_000);
    const log = fs.readFileSync(path.join(runDir, `slurm-${job}.out`), 'utf8');
    const record = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as { status: string; worldSize?: number };
    assert.deepEqual([record.status, record.worldSize], ['FINISHED', 2], log.slice(-2000));
    assert.equal((log.match(/step 6\/6/g) ?? []).length, 1, 'rank 0 alone prints progress');
    const runs = await runsOf('slurm-slip');
    assert.equal(runs.length, 1, 'one tracked run for the two ranks');
    assert.equal(runs[0].info.status, 'FINISHED');
    assert.equal(runs[0].data.params?.find((p) => p.key === 'world_size')?.value, '2');
    // Evaluated at step 3 (the other rank waiting for it) and at the end, once each.
    assert.equal((log.match(/eval @ step 3:/g) ?? []).length, 1, log.slice(-2000));
    const history = await api.getMetricHistory(runs[0].info.run_id, 'retrieval/image_to_text_r1');
    assert.deepEqual(history.map((m) => m.step), [3, 6]);
  });

  it('runs a 3-member sweep as a job array: every member FINISHED and tracked', async () => {
    const spec = path.join(dir, 'sweep.json');
    fs.writeFileSync(spec, JSON.stringify({ extends: specPath('distributed', 'tiny-slip.json'), name: 'slurm-sweep', sweep: { grid: { seed: [1, 2, 3] } } }));
    const parent = path.join(dir, 'sweep');
    const { code, output } = await slipkit(['run', spec, '--launcher', 'slurm', '--run-dir', parent, '--set', 'train.steps=2', '--set', 'tracking={"type":"mlflow","experiment":"slurm-sweep"}']);
    assert.equal(code, 0, output);
    assert.match(output, /job array of 3 members/);
    const job = jobIdOf(output);
    assert.match(fs.readFileSync(path.join(parent, 'slurm.sbatch'), 'utf8'), /#SBATCH --array=0-2/);
    await cluster!.waitForJob(job, 240_000);
    const members = fs.readdirSync(parent).filter((f) => fs.existsSync(path.join(parent, f, 'run.json'))).sort();
    assert.deepEqual(members, ['slurm-sweep-0', 'slurm-sweep-1', 'slurm-sweep-2']);
    for (const m of members) assert.equal(JSON.parse(fs.readFileSync(path.join(parent, m, 'run.json'), 'utf8')).status, 'FINISHED', m);
    const runs = await runsOf('slurm-sweep');
    assert.deepEqual(runs.map((r) => r.info.status), ['FINISHED', 'FINISHED', 'FINISHED']);
    assert.deepEqual(runs.map((r) => r.data.params?.find((p) => p.key === 'seed')?.value).sort(), ['1', '2', '3']);
  });

  it('scancel --signal=TERM: both ranks stop after the same step with a checkpoint; the resubmitted script resumes to the uninterrupted run\'s final loss', async () => {
    const args = (runDir: string): string[] => ['run', specPath('distributed', 'tiny-slip.json'), '--launcher', 'slurm', '--nodes', '1', '--tasks-per-node', '2', '--run-dir', runDir, '--set', 'train.steps=24', '--set', 'tracking={"type":"mlflow","experiment":"slurm-term"}'];
    const whole = path.join(dir, 'term-whole');
    const cut = path.join(dir, 'term-cut');
    const jobWhole = jobIdOf((await slipkit(args(whole))).output);
    const jobCut = jobIdOf((await slipkit(args(cut))).output);
    const metrics = path.join(cut, 'metrics.jsonl');
    const rows = (file: string): Array<{ step: number; loss: number }> => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
    for (let i = 0; i < 600 && rows(metrics).length < 4; i++) await new Promise((r) => setTimeout(r, 200));
    assert.ok(rows(metrics).length >= 4, 'the run to interrupt did not get going');
    const cancel = cluster!.scancel(['--signal=TERM', jobCut]);
    assert.ok(cancel.ok, cancel.out);
    await cluster!.waitForJob(jobCut, 120_000);
    const killed = JSON.parse(fs.readFileSync(path.join(cut, 'run.json'), 'utf8')) as { status: string };
    const stoppedAt = rows(metrics).length;
    assert.equal(killed.status, 'KILLED', fs.readFileSync(path.join(cut, `slurm-${jobCut}.out`), 'utf8').slice(-2000));
    assert.ok(stoppedAt < 24, `stopped at step ${stoppedAt}, before the end`);
    assert.equal(new CheckpointStore(cut).load('last')!.state.step, stoppedAt, 'the checkpoint is of the step both ranks stopped after');

    const resubmit = spawnSync('sbatch', ['--parsable', path.join(cut, 'slurm.sbatch')], { encoding: 'utf8', env: { ...process.env, ...cluster!.env, MLFLOW_TRACKING_URI: mlflow!.uri } });
    assert.equal(resubmit.status, 0, resubmit.stderr);
    const jobResume = resubmit.stdout.trim().split(';')[0];
    await cluster!.waitForJob(jobResume, 180_000);
    await cluster!.waitForJob(jobWhole, 180_000);
    const resumedLog = fs.readFileSync(path.join(cut, `slurm-${jobResume}.out`), 'utf8');
    assert.match(resumedLog, new RegExp(`resuming at step ${stoppedAt}`));
    assert.equal(JSON.parse(fs.readFileSync(path.join(cut, 'run.json'), 'utf8')).status, 'FINISHED', resumedLog.slice(-2000));
    const a = rows(path.join(whole, 'metrics.jsonl'));
    const b = rows(metrics);
    assert.deepEqual(b.map((r) => r.step), a.map((r) => r.step), 'every step once');
    console.log(`      final loss ${a[23].loss} uninterrupted, ${b[23].loss} after SIGTERM at step ${stoppedAt} and resume`);
    assert.ok(Math.abs(a[23].loss - b[23].loss) <= 1e-6 * Math.abs(a[23].loss), `final loss ${b[23].loss} vs ${a[23].loss}`);
  });
});
