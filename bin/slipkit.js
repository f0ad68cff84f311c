#!/usr/bin/env node
'use strict';
// Composition root: the compiled CLI from core/ plus the built-in plugin manifest from plugins/.
// (Core never names a plugin; this launcher is where the two meet.) Run `npm run build` first.
require('reflect-metadata');
const { main } = require('../dist/core/cli/main.js');
const { makeCliContext } = require('../dist/core/cli/context.js');
const { builtinPlugins, builtinCommands } = require('../dist/plugins/index.js');
main(process.argv, builtinPlugins, makeCliContext(builtinPlugins, process.stdout, process.stderr, builtinCommands)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err && err.stack ? err.stack : String(err)); process.exitCode = 1; },
);
