/**
 * Wildcard patterns for restore by query. `*` matches any run of characters
 * and `?` exactly one, neither crossing a `/`; everything else is literal and
 * case-sensitive (POSIX names). A pattern without `/` is matched against the
 * base name of every file; a pattern starting with `/` against the whole path.
 */
import { TidemarkError } from '../error-catalogue.js';

export interface CompiledPattern {
  /** The pattern as given. */
  source: string;
  /** Directory part of an absolute pattern (undefined: any directory). */
  directory?: RegExp;
  /** Matched against a file's base name. */
  name: RegExp;
}

const MAX_PATTERN_LENGTH = 1024;

export function compilePattern(pattern: string, field = 'pattern'): CompiledPattern {
  const bad = (problem: string) =>
    new TidemarkError('BadRequest', `query field '${field}': ${problem}`, 400, field);
  if (pattern.length === 0) throw bad('must not be empty');
  if (pattern.length > MAX_PATTERN_LENGTH) throw bad(`must be at most ${MAX_PATTERN_LENGTH} characters`);
  if (pattern.includes('\0')) throw bad('must not contain a NUL character');
  if (!pattern.includes('/')) return { source: pattern, name: segmentRegex(pattern) };
  if (!pattern.startsWith('/')) {
    throw bad('a pattern with a / must be an absolute path pattern starting with /, e.g. /srv/*/report?.txt');
  }
  const slash = pattern.lastIndexOf('/');
  const base = pattern.slice(slash + 1);
  if (base.length === 0) throw bad('must end in a file name pattern, not a /');
  const directory = slash === 0 ? '/' : pattern.slice(0, slash);
  return { source: pattern, directory: segmentRegex(directory), name: segmentRegex(base) };
}

/** True when a pattern has no wildcard at all (an exact lookup). */
export function isLiteral(pattern: string): boolean {
  return !/[*?]/.test(pattern);
}

function segmentRegex(glob: string): RegExp {
  let source = '';
  for (const char of glob) {
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  // `u` so `?` is one character even outside the BMP; `s` so `.`-free classes still match newlines.
  return new RegExp(`^${source}$`, 'su');
}
