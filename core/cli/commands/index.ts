import type { Command } from 'commander';
import type { CliContext } from '../context';
import { registerDoctor } from './doctor';
import { registerEval } from './eval';
import { registerPlugins } from './plugins';
import { registerPreview } from './preview';
import { registerResolve } from './resolve';
import { registerResume } from './resume';
import { registerRun } from './run';
import { registerRuns } from './runs';
import { registerSchema } from './schema';
import { registerSync } from './sync';
import { registerValidate } from './validate';

/** Every CLI command, one module each. */
export const COMMANDS: ReadonlyArray<(program: Command, ctx: CliContext) => void> = [
  registerValidate,
  registerResolve,
  registerSchema,
  registerPlugins,
  registerRun,
  registerResume,
  registerEval,
  registerRuns,
  registerSync,
  registerDoctor,
  registerPreview,
];
