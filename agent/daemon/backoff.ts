/**
 * Retry with exponential back-off and full jitter, stoppable by an
 * AbortSignal so a shutting-down agent never sleeps through SIGTERM.
 */
export interface BackoffOptions {
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** Whether another attempt can help; errors it rejects are thrown at once. */
  retryable: (error: unknown) => boolean;
  signal?: AbortSignal;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The pause before attempt `attempt + 1` (attempt counts from 1). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.random() * Math.min(maxMs, baseMs * 2 ** (attempt - 1));
}

export async function withBackoff<T>(operation: () => Promise<T>, options: BackoffOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (options.signal?.aborted || attempt >= options.attempts || !options.retryable(error)) throw error;
      await sleep(backoffDelay(attempt, options.baseMs, options.maxMs), options.signal);
    }
  }
}
