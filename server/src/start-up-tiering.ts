import { setFlagsFromString } from 'node:v8';

// Start-up code runs once, yet V8 optimises some of it with TurboFan: Node's module resolution, esbuild's
// keepNames helper and protobuf-ts's field-name normalisation each run thousands of times while the server
// starts. The first optimisation pages V8's optimising compiler into memory, about 5 MiB of the node
// binary that stay resident in a server that may then sit idle (measured in docs/performance.md, "Idle
// RSS"). So TurboFan is off while the server starts (main.ts imports this module before anything else)
// and on again once it listens; from then on V8 optimises what traffic makes hot, exactly as before.
//
// A process started with its own say on optimisation is left alone: --jitless (which also removes
// WebAssembly, whatever passed it: command line or NODE_OPTIONS) must never meet --turbofan.
const ownChoice =
  !('WebAssembly' in globalThis) ||
  process.execArgv.some((arg) => /^--(no-)?(jitless|turbofan|opt|max-opt|always-turbofan)\b/.test(arg));

if (!ownChoice) setFlagsFromString('--no-turbofan');

/** TurboFan on again: the server is up (listening, or a pool's primary handing the port to workers). */
export function optimizeFromNowOn(): void {
  if (!ownChoice) setFlagsFromString('--turbofan');
}
