import type { CliCommand } from '../context';
import { registerDoctor } from './doctor';
import { registerEval } from './eval';
import { registerPlugins } from './plugins';
import { registerPreview } from './preview';
import { registerResolve } from './resolve';
import { registerResume } from './resume';
import { registerRun } from './run';
import { registerSchema } from './schema';
import { registerValidate } from './validate';

/** Core's CLI commands, one module each (plugins add their own through the manifest's builtinCommands). */
export const COMMANDS: readonly CliCommand[] = [
  registerValidate,
  registerResolve,
  registerSchema,
  registerPlugins,
  registerRun,
  registerResume,
  registerEval,
  registerDoctor,
  registerPreview,
];
