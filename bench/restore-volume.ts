/**
 * Where the backup benchmark's restores go: each to a fresh ext4 file system
 * (a sparse image on a loop device, made with mkfs's defaults, so with a
 * journal; the loop device uses direct I/O, so nothing is cached twice), made
 * just before the restore and removed after it, as a restore to a new disk
 * would be. Why not a folder beside the dataset: this machine's root file
 * system is ext4 without a journal, where the kernel passes over every inode
 * freed in the last 60 s (360 s once its inode-table block is dirty again)
 * and looks each one up again on every file it creates. 62 s after the
 * benchmark deleted its old trees, with a `sync` between, `recently_deleted`
 * was still a quarter of a restore's perf samples, for whichever tool
 * restored first; on a fresh volume it is gone and both tools start from the
 * same empty file system. Without root, mkfs or loop devices, restores fall
 * back to folders under `fallbackDir`.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RestoreVolume {
  /** The folder to restore into. */
  dir: string;
  /** Unmounts and deletes a fresh volume; a fallback folder stays (the benchmark removes it at the end). */
  release(): Promise<void>;
}

/** Set once the loop device refused direct I/O, so the benchmark says so once. */
let directIoFailed = false;

/** Set once making a volume has failed, so the rest of the benchmark does not try again. */
let fallbackReason: string | undefined;

/** Why restores go to folders rather than fresh volumes, or undefined while they do not. */
export function restoreVolumeFallback(): string | undefined {
  return fallbackReason;
}

/** A fresh file system of `bytes` for a restore named `name`, or a folder under `fallbackDir`. */
export async function restoreVolume(
  volumesDir: string,
  fallbackDir: string,
  name: string,
  bytes: number,
): Promise<RestoreVolume> {
  if (!fallbackReason) {
    const image = path.join(volumesDir, `${name}.img`);
    const mountPoint = path.join(volumesDir, name);
    let mounted = false;
    try {
      if (process.getuid?.() !== 0) throw new Error('mounting a loop device needs root');
      await mkdir(mountPoint, { recursive: true });
      await run('truncate', ['-s', String(bytes), image]);
      await run('mkfs.ext4', ['-q', '-F', image]);
      await run('mount', ['-o', 'loop', image, mountPoint]);
      mounted = true;
      // The loop device reads and writes its image with O_DIRECT, as a disk would: otherwise every
      // restored byte is cached twice (the file's page and the image's), and a restore that flushes
      // (ours does) fills a second gigabyte of page cache inside its timed window.
      const device = (await run('findmnt', ['-n', '-o', 'SOURCE', mountPoint])).stdout.trim();
      await run('losetup', ['--direct-io=on', device]).catch((error: Error) => {
        // Still a fresh volume, only cached twice: better than a folder, and said once.
        if (!directIoFailed)
          console.log(`restore volumes without direct I/O: ${error.message.split('\n')[0]}`);
        directIoFailed = true;
      });
      return {
        dir: path.join(mountPoint, 'restored'),
        release: async () => {
          await run('umount', [mountPoint]);
          await rm(image, { force: true });
          await rm(mountPoint, { recursive: true, force: true });
        },
      };
    } catch (error) {
      fallbackReason = (error as Error).message.split('\n')[0];
      if (mounted) await run('umount', [mountPoint]);
      await rm(image, { force: true });
      await rm(mountPoint, { recursive: true, force: true }).catch(() => undefined);
      console.log(`restores go to folders, not fresh volumes: ${fallbackReason}`);
    }
  }
  return { dir: path.join(fallbackDir, name), release: async () => undefined };
}

/** Unmounts volumes a killed benchmark left mounted under `volumesDir`, so removing the folder is safe. */
export async function unmountLeftovers(volumesDir: string): Promise<void> {
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  for (const line of mounts.split('\n')) {
    const mountPoint = line.split(' ')[1];
    if (mountPoint?.startsWith(`${volumesDir}/`)) await run('umount', [mountPoint]);
  }
}
