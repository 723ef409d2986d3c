/**
 * Wildcard patterns for restore by query. `*` matches any run of characters
 * and `?` exactly one, neither crossing a `/`; everything else is literal and
 * case-sensitive (POSIX names). A pattern without `/` is matched against the
 * base name of every file; a pattern starting with `/` against the whole path.
 */
import { TidemarkError } from '../error-catalogue.js';
import { ComponentGlob, type Matcher } from './glob.js';

export interface CompiledPattern {
  /** The pattern as given. */
  source: string;
  /** Directory part of an absolute pattern (undefined: any directory). */
  directory?: Matcher;
  /** Matched against a file's base name. */
  name: Matcher;
}

const MAX_PATTERN_LENGTH = 1024;

export function compilePattern(pattern: string, field = 'pattern'): CompiledPattern {
  const bad = (problem: string) =>
    new TidemarkError('BadRequest', `query field '${field}': ${problem}`, 400, field);
  if (pattern.length === 0) throw bad('must not be empty');
  if (pattern.length > MAX_PATTERN_LENGTH) throw bad(`must be at most ${MAX_PATTERN_LENGTH} characters`);
  if (pattern.includes('\0')) throw bad('must not contain a NUL character');
  if (!pattern.includes('/')) return { source: pattern, name: new ComponentGlob(pattern) };
  if (!pattern.startsWith('/')) {
    throw bad('a pattern with a / must be an absolute path pattern starting with /, e.g. /srv/*/report?.txt');
  }
  const slash = pattern.lastIndexOf('/');
  const base = pattern.slice(slash + 1);
  if (base.length === 0) throw bad('must end in a file name pattern, not a /');
  const directory = slash === 0 ? '/' : pattern.slice(0, slash);
  return { source: pattern, directory: new PathGlob(directory), name: new ComponentGlob(base) };
}

/** True when a pattern has no wildcard at all (an exact lookup). */
export function isLiteral(pattern: string): boolean {
  return !/[*?]/.test(pattern);
}

/** A directory pattern: one glob per `/`-separated component, since neither `*` nor `?` crosses a `/`. */
class PathGlob implements Matcher {
  private readonly components: ComponentGlob[];

  constructor(pattern: string) {
    this.components = pattern.split('/').map((component) => new ComponentGlob(component));
  }

  test(path: string): boolean {
    const parts = path.split('/');
    if (parts.length !== this.components.length) return false;
    return this.components.every((glob, i) => glob.test(parts[i] as string));
  }
}
