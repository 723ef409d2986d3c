/**
 * A decoded file-name index of one session, queried in memory: wildcard
 * matches, the children of a directory (restore by tree) and path lookups.
 */
import { compareCodeUnits, type NameIndexData } from './name-index-codec.js';
import type { CompiledPattern } from './wildcard.js';

export interface TreeEntry {
  name: string;
  path: string;
  type: 'file' | 'directory';
}

export class NameIndex {
  readonly files: number;

  constructor(private readonly data: NameIndexData) {
    let total = 0;
    for (const names of data.files) total += names.length;
    this.files = total;
  }

  /** Calls `found` for each matching file path, in path order; stops early when it returns false. */
  match(pattern: CompiledPattern, found: (path: string) => boolean | undefined): void {
    const { dirs, files } = this.data;
    for (let i = 0; i < dirs.length; i++) {
      const dir = dirs[i] as string;
      if (pattern.directory && !pattern.directory.test(dir)) continue;
      const names = files[i] as string[];
      for (const name of names) {
        if (pattern.name.test(name) && found(joinPath(dir, name)) === false) return;
      }
    }
  }

  /** True when the path is a file or a directory of the session. */
  has(path: string): boolean {
    if (this.dirIndex(path) >= 0) return true;
    const slash = path.lastIndexOf('/');
    const dir = this.dirIndex(slash <= 0 ? '/' : path.slice(0, slash));
    return dir >= 0 && binarySearch(this.data.files[dir] as string[], path.slice(slash + 1)) >= 0;
  }

  /** The direct children of a directory (directories first, then files), or undefined when it is not one. */
  children(directory: string): TreeEntry[] | undefined {
    const at = this.dirIndex(directory);
    if (at < 0) return undefined;
    const { dirs, files } = this.data;
    const prefix = directory === '/' ? '/' : `${directory}/`;
    const entries: TreeEntry[] = [];
    // Descendants of a directory sort right after it and share its prefix.
    for (let i = at + 1; i < dirs.length; i++) {
      const dir = dirs[i] as string;
      if (!dir.startsWith(prefix)) {
        if (dir > prefix) break;
        continue;
      }
      const rest = dir.slice(prefix.length);
      if (!rest.includes('/')) entries.push({ name: rest, path: dir, type: 'directory' });
    }
    for (const name of files[at] as string[]) {
      entries.push({ name, path: joinPath(directory, name), type: 'file' });
    }
    return entries;
  }

  private dirIndex(path: string): number {
    return binarySearch(this.data.dirs, path);
  }
}

function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

function binarySearch(sorted: readonly string[], value: string): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const order = compareCodeUnits(sorted[mid] as string, value);
    if (order === 0) return mid;
    if (order < 0) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}
