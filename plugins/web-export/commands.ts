import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { disposeTrainable, type CliContext, loadTrainedExperiment, log } from '../../core/toolkit';
import { writeWebApp } from './bundle-app';
import { writeWebModel } from './export-model';
import { serveDirectory } from './serve';

/** `slipkit export <run-dir|checkpoint|spec.json> --out dir`: the model and a static web page for it. */
export function registerExport(program: Command, ctx: CliContext): void {
  program
    .command('export')
    .description('write a trained model and a static web page (zero-shot classification, text-to-image search) that runs it in the browser')
    .argument('<checkpoint>', 'run directory (its best, else last, checkpoint), checkpoint directory, or a spec .json with model.init')
    .requiredOption('--out <dir>', 'directory to write the page into (created; existing files are replaced)')
    .action(async (target: string, opts: { out: string }) => {
      const { exp, step } = await loadTrainedExperiment(target, ctx.registry(), log);
      try {
        const outDir = path.resolve(opts.out);
        const config = writeWebModel(exp, step, outDir);
        const files = await writeWebApp(outDir);
        const bytes = fs.statSync(path.join(outDir, config.weightsManifest[0].paths[0])).size;
        ctx.stdout.write(`exported ${config.name} (step ${step}, ${(bytes / 1e6).toFixed(1)} MB of weights) and ${files.join(', ')} to ${outDir}\n`);
        ctx.stdout.write(`open it with: slipkit serve ${opts.out}\n`);
      } finally {
        disposeTrainable(exp.model);
      }
    });
}

/** `slipkit serve dir [--port]`: the exported page on 127.0.0.1 until interrupted. */
export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('serve an exported web page on 127.0.0.1')
    .argument('<dir>', 'directory written by slipkit export')
    .option('--port <n>', 'port (0: any free port)', '8080')
    .action(async (dir: string, opts: { port: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer 0..65535, got ${opts.port}`);
      const server = await serveDirectory(dir, port);
      ctx.stdout.write(`serving ${path.resolve(dir)} at ${server.url} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
