/**
 * Opens a file to back it up without moving its access time (O_NOATIME, as
 * rsync's --open-noatime and restic do). Otherwise the first backup's reads
 * set every file's atime, the next session records the new times, and every
 * manifest page (manifest-pages.ts) is stored again. The kernel allows
 * O_NOATIME only to the file's owner or a process with CAP_FOWNER; for
 * another user's file (EPERM) the file is opened plainly.
 */
import { constants, openSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/** 0 where the platform has no O_NOATIME. */
const NO_ATIME = constants.O_NOATIME ?? 0;

function refused(error: unknown): boolean {
  return NO_ATIME !== 0 && (error as NodeJS.ErrnoException).code === 'EPERM';
}

export async function openToRead(path: string): Promise<FileHandle> {
  try {
    return await open(path, constants.O_RDONLY | NO_ATIME);
  } catch (error) {
    if (refused(error)) return open(path, constants.O_RDONLY);
    throw error;
  }
}

/** The same for the CPU workers' synchronous reads; the caller closes the descriptor (`closeSync`). */
export function openToReadSync(path: string): number {
  try {
    return openSync(path, constants.O_RDONLY | NO_ATIME);
  } catch (error) {
    if (refused(error)) return openSync(path, constants.O_RDONLY);
    throw error;
  }
}
