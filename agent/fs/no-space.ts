/**
 * Whether an error is the file system being full or over quota. Walks
 * `cause` links, since a wrapped write failure (SpoolWriteError, an S3 or
 * restore step) keeps the errno on the error it wraps.
 */
export function isNoSpace(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  }
  return false;
}
