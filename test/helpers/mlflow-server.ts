import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './paths';

/**
 * A real MLflow tracking server for tests, from the virtualenv that scripts/setup-mlflow.sh
 * creates: `mlflow server` on 127.0.0.1 with a SQLite backend store and proxied artifacts in
 * a temporary folder. It can be stopped and started again on the same port and database
 * (for outage tests). Start one per test file: startup takes several seconds.
 */
export const MLFLOW_VENV = path.join(repoRoot, '.venv-mlflow');
export const MLFLOW_BIN = path.join(MLFLOW_VENV, 'bin', 'mlflow');
export const MLFLOW_PYTHON = path.join(MLFLOW_VENV, 'bin', 'python');

/** Fails (never skips) when MLflow is not installed, saying how to install it. */
export function requireMlflowInstall(): void {
  if (!fs.existsSync(MLFLOW_BIN)) {
    throw new Error(`MLflow is not installed for the tracking tests (${MLFLOW_BIN} is missing): run "bash scripts/setup-mlflow.sh" first`);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Server processes still running: a test run that ends without stopping them must not leave them behind. */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

export class MlflowTestServer {
  readonly uri: string;
  readonly logFile: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.uri = `http://127.0.0.1:${port}`;
    this.logFile = path.join(dir, 'server.log');
  }

  /** Starts a server on a free port with a fresh database in a new temporary folder. */
  static async start(): Promise<MlflowTestServer> {
    requireMlflowInstall();
    const server = new MlflowTestServer(fs.mkdtempSync(path.join(os.tmpdir(), 'slipkit-mlflow-')), await freePort());
    await server.startProcess();
    return server;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** (Re)starts the server process on the same port and database; resolves once /health answers. */
  async startProcess(timeoutMs = 90_000): Promise<void> {
    if (this.child) return;
    const log = fs.openSync(this.logFile, 'a');
    const env: NodeJS.ProcessEnv = { ...process.env, MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false', PYTHONUNBUFFERED: '1' };
    for (const k of ['MLFLOW_TRACKING_URI', 'MLFLOW_TRACKING_TOKEN', 'MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD']) delete env[k];
    const child = spawn(
      MLFLOW_BIN,
      [
        'server',
        '--host', '127.0.0.1',
        '--port', String(this.port),
        '--workers', '1',
        '--backend-store-uri', `sqlite:///${path.join(this.dir, 'mlflow.db')}`,
        '--artifacts-destination', path.join(this.dir, 'artifacts'),
      ],
      // Own process group, so stop() ends the server's worker processes too.
      { detached: true, stdio: ['ignore', log, log], env },
    );
    fs.closeSync(log);
    this.child = child;
    if (child.pid) liveGroups.add(child.pid);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    let exitedEarly = false;
    void this.exited.then(() => (exitedEarly = true));
    while (Date.now() < deadline) {
      if (exitedEarly) break;
      if (await this.healthy()) return;
      await sleep(200);
    }
    const tail = fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-30).join('\n');
    await this.stopProcess();
    throw new Error(`mlflow server did not become healthy on ${this.uri}${exitedEarly ? ' (it exited)' : ''}; log tail:\n${tail}`);
  }

  /** Stops the server process (the data stays); resolves once the port refuses connections. */
  async stopProcess(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    this.child = undefined;
    liveGroups.delete(child.pid);
    const group = -child.pid;
    try {
      process.kill(group, 'SIGTERM');
    } catch {
      // Already gone.
    }
    const stopped = await Promise.race([this.exited!.then(() => true), sleep(10_000).then(() => false)]);
    try {
      process.kill(group, stopped ? 'SIGTERM' : 'SIGKILL');
    } catch {
      // The whole group is gone.
    }
    for (let i = 0; i < 50 && (await this.healthy()); i++) await sleep(100);
  }

  /** Stops the server and deletes its folder. */
  async close(): Promise<void> {
    await this.stopProcess();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private healthy(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = net.connect(this.port, '127.0.0.1');
      req.setTimeout(2000);
      req.once('connect', () => {
        req.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nConnection: close\r\n\r\n`);
      });
      let data = '';
      req.on('data', (d: Buffer) => (data += d.toString()));
      req.once('close', () => resolve(/^HTTP\/1\.[01] 200/.test(data)));
      req.once('error', () => resolve(false));
      req.once('timeout', () => req.destroy());
    });
  }
}

