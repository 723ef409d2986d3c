/**
 * Walks a SnapshotView depth-first in name order and yields every entry with
 * its master path. Hard links are detected by (dev, ino): the second and
 * later names of an inode carry `hardlinkTo` and no content.
 */
import type { SnapshotView, ViewStat } from './snapshot-view.js';

export interface ScanSource {
  viewPath: string;
  masterPath: string;
}

export interface ScannedEntry {
  viewPath: string;
  masterPath: string;
  stat: ViewStat;
  hardlinkTo?: string;
}

function join(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

/** Children of one directory whose lstat is started at once: one at a time, 12,000 files took ≈2.5 s of waiting. */
const PREFETCH = 256;

interface Pending {
  viewPath: string;
  masterPath: string;
  stat?: Promise<ViewStat>;
}

export async function* scan(view: SnapshotView, sources: ScanSource[]): AsyncGenerator<ScannedEntry> {
  const inodes = new Map<string, string>();
  for (const source of sources) {
    const stack: Pending[] = [{ ...source }];
    while (stack.length > 0) {
      const next = stack.pop() as Pending;
      const stat = await (next.stat ?? view.lstat(next.viewPath));
      if (stat.type === 'other') continue; // sockets, fifos, devices are not backed up
      let hardlinkTo: string | undefined;
      if (stat.type === 'file' && stat.nlink > 1) {
        const id = `${stat.dev}:${stat.ino}`;
        hardlinkTo = inodes.get(id);
        if (!hardlinkTo) inodes.set(id, next.masterPath);
      }
      yield { viewPath: next.viewPath, masterPath: next.masterPath, stat, hardlinkTo };
      if (stat.type === 'directory') {
        const names = (await view.readdir(next.viewPath)).sort().reverse();
        names.forEach((name, i) => {
          const viewPath = join(next.viewPath, name);
          const stat = i >= names.length - PREFETCH ? view.lstat(viewPath) : undefined;
          stat?.catch(() => {}); // awaited (and thrown) in turn; this only keeps it from counting as unhandled
          stack.push({ viewPath, masterPath: join(next.masterPath, name), stat });
        });
      }
    }
  }
}
