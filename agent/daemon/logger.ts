/**
 * The agent's log: one JSON object per line on stderr (journald keeps it).
 * Anything shaped like a credential is masked before it is written, as a
 * second line of defence: the code never hands the credential to the log.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET = /\btm[ao]_[A-Za-z0-9_-]{20,}/g;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logger {
  const emit = (at: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
    if (RANK[at] < RANK[level]) return;
    const line = JSON.stringify({ at: new Date().toISOString(), level: at, message, ...fields });
    write(line.replace(SECRET, '[redacted]'));
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}

/** The message of anything thrown, for a log field. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
