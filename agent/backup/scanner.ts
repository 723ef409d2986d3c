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

export async function* scan(view: SnapshotView, sources: ScanSource[]): AsyncGenerator<ScannedEntry> {
  const inodes = new Map<string, string>();
  for (const source of sources) {
    const stack: Array<{ viewPath: string; masterPath: string }> = [source];
    while (stack.length > 0) {
      const next = stack.pop() as { viewPath: string; masterPath: string };
      const stat = await view.lstat(next.viewPath);
      if (stat.type === 'other') continue; // sockets, fifos, devices are not backed up
      let hardlinkTo: string | undefined;
      if (stat.type === 'file' && stat.nlink > 1) {
        const id = `${stat.dev}:${stat.ino}`;
        hardlinkTo = inodes.get(id);
        if (!hardlinkTo) inodes.set(id, next.masterPath);
      }
      yield { ...next, stat, hardlinkTo };
      if (stat.type === 'directory') {
        const names = (await view.readdir(next.viewPath)).sort().reverse();
        for (const name of names)
          stack.push({ viewPath: join(next.viewPath, name), masterPath: join(next.masterPath, name) });
      }
    }
  }
}
