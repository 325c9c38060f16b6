/** Process exit codes of `parley`, documented in `parley --help`. */
export const ExitCode = {
  /** The command did what was asked. */
  ok: 0,
  /** The server answered with an error, or could not be reached. */
  failure: 1,
  /** The command line was wrong: unknown command or option, missing argument, empty message. */
  usage: 2,
  /** `ask` was cancelled with Ctrl-C; 128 + SIGINT, what the shell reports for a process Ctrl-C ended. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `
Exit codes:
  ${ExitCode.ok}  success
  ${ExitCode.failure}  the server answered with an error or could not be reached
  ${ExitCode.usage}  usage error (unknown command or option, missing argument, empty message)
  ${ExitCode.interrupted}  ask was cancelled with Ctrl-C (the partial reply is kept, marked interrupted)

Environment:
  PARLEY_URL             server URL (default http://127.0.0.1:8080)
  PARLEY_API_KEY         API key; without one, a server on this machine is used with the key it generated
  PARLEY_USER            the user conversations belong to (default: your login name)
  PARLEY_LOCAL_KEY_FILE  where a local server keeps its generated key`;
