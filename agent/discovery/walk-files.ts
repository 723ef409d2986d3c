/**
 * Lists the regular files under a set of roots whose extension is wanted,
 * without following symbolic links (a link loop or a link out of the roots
 * must not pull foreign data into a scenario) and with depth and count caps.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

export interface WalkLimits {
  maxDepth: number;
  maxFiles: number;
}

const DEFAULT_LIMITS: WalkLimits = { maxDepth: 16, maxFiles: 200_000 };

/** Absolute paths of files under `roots` whose lower-cased extension (with dot) is in `extensions`. */
export async function filesWithExtensions(
  roots: string[],
  extensions: readonly string[],
  limits: WalkLimits = DEFAULT_LIMITS,
): Promise<string[]> {
  const wanted = new Set(extensions.map((ext) => ext.toLowerCase()));
  const found: string[] = [];
  let seen = 0;
  const visit = async (dir: string, depth: number): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      // A missing root is the caller's to report; an unreadable subdirectory is skipped.
      if (depth === 0) throw error;
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (++seen > limits.maxFiles) return;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && depth < limits.maxDepth) await visit(full, depth + 1);
      else if (entry.isFile() && wanted.has(path.extname(entry.name).toLowerCase())) found.push(full);
    }
  };
  for (const root of roots) await visit(root, 0);
  return found;
}
