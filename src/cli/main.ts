#!/usr/bin/env node
// The `artisan` binary.
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// A store client that keeps a socket open must not keep a finished command alive.
setTimeout(() => process.exit(code), 3000).unref();
