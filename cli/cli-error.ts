/** A failure the CLI reports as `error <code>: <message>` with a non-zero exit code, never a stack trace. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** 1: the API refused or failed; 2: bad usage or configuration; 3: the API could not be reached. */
    readonly exitCode = 1,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
