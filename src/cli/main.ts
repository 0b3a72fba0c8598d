#!/usr/bin/env node
// The `artisan` binary.
import { runCli } from './program.js';

// `artisan queue:failed | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// A store client that keeps a socket open must not keep a finished command alive.
setTimeout(() => process.exit(code), 3000).unref();
