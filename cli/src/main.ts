// The `parley` entry point (bin/parley.js imports it): the only module that touches `process`.
// Everything testable lives in program.ts.
import type { Io } from './io/command-context.ts';
import { run } from './program.ts';

const io: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  onInterrupt: (handler) => {
    process.on('SIGINT', handler);
    return () => process.off('SIGINT', handler);
  },
};

process.exitCode = await run(process.argv.slice(2), io);
