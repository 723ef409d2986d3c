/**
 * A small tmpfs mounted for one test, so "disk full" is the kernel's own
 * ENOSPC on a real file system rather than a mocked error. Mounting needs
 * root, as CI has (.ci/run runs as root); elsewhere `canMount` is false and
 * the caller skips with that reason.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rm, statfs } from 'node:fs/promises';

export const canMount = process.getuid?.() === 0;
export const NEEDS_ROOT = 'mounting a small tmpfs needs root (CI runs as root)';

export interface SmallFilesystem {
  dir: string;
  /** Bytes still free on it. */
  free(): Promise<number>;
  unmount(): Promise<void>;
}

/** Mounts a tmpfs of `bytes` at `dir` (created if missing). */
export async function mountSmallFilesystem(dir: string, bytes: number): Promise<SmallFilesystem> {
  await mkdir(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tidemark-test', dir]);
  return {
    dir,
    free: async () => {
      const s = await statfs(dir);
      return s.bavail * s.bsize;
    },
    unmount: async () => {
      execFileSync('umount', ['-l', dir]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
