/**
 * Owner, mode and times for an entry named by a path, never following a
 * symlink at its last component: the entry is opened with O_PATH |
 * O_NOFOLLOW (no read permission needed), and the calls go through that
 * descriptor's magic link, which leads to the entry itself. A symlink gets
 * only its owner and times, on the link (lchown, lutimes act on the name and
 * do not follow it). The owner comes first, since chown clears setuid and
 * setgid. Directories above the last component are the caller's business:
 * ContainedTree passes a path inside a directory descriptor it walked.
 */
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  fstatSync,
  lchownSync,
  lutimesSync,
  openSync,
  utimesSync,
} from 'node:fs';
import { chmod, chown, lchown, lutimes, open, utimes } from 'node:fs/promises';

/** Linux's O_PATH (x86-64 and arm64; Node does not export it): a descriptor that only names an entry. */
export const O_PATH = 0o10000000;

/** Attributes to give an entry; each is left alone when absent (both times when `mtimeMs` is). */
export interface EntryAttributes {
  mode?: number;
  uid?: number;
  gid?: number;
  atimeMs?: number;
  mtimeMs?: number;
}

/** `'try'` ignores a refused chown (an agent not running as root); `'skip'` never changes owners. */
export type ChownPolicy = 'must' | 'try' | 'skip';

function plan(attrs: EntryAttributes, policy: ChownPolicy) {
  const owner =
    policy !== 'skip' && attrs.uid !== undefined && attrs.gid !== undefined
      ? ([attrs.uid, attrs.gid] as const)
      : undefined;
  const times =
    attrs.mtimeMs !== undefined
      ? ([(attrs.atimeMs ?? attrs.mtimeMs) / 1000, attrs.mtimeMs / 1000] as const)
      : undefined;
  const tolerated = (error: NodeJS.ErrnoException) =>
    policy === 'try' && (error.code === 'EPERM' || error.code === 'EINVAL');
  return { owner, times, tolerated };
}

export async function setEntryAttributes(
  path: string,
  attrs: EntryAttributes,
  policy: ChownPolicy = 'must',
): Promise<void> {
  const { owner, times, tolerated } = plan(attrs, policy);
  const tolerate = (error: NodeJS.ErrnoException) => {
    if (!tolerated(error)) throw error;
  };
  const fd = await open(path, O_PATH | constants.O_NOFOLLOW);
  try {
    if ((await fd.stat()).isSymbolicLink()) {
      if (owner) await lchown(path, ...owner).catch(tolerate);
      if (times) await lutimes(path, ...times);
      return;
    }
    const self = `/proc/self/fd/${fd.fd}`;
    if (owner) await chown(self, ...owner).catch(tolerate);
    if (attrs.mode !== undefined) await chmod(self, attrs.mode & 0o7777);
    if (times) await utimes(self, ...times);
  } finally {
    await fd.close();
  }
}

/** The same with synchronous calls, for batches on a CPU worker. */
export function setEntryAttributesSync(
  path: string,
  attrs: EntryAttributes,
  policy: ChownPolicy = 'must',
): void {
  const { owner, times, tolerated } = plan(attrs, policy);
  const tolerate = (run: () => void) => {
    try {
      run();
    } catch (error) {
      if (!tolerated(error as NodeJS.ErrnoException)) throw error;
    }
  };
  const fd = openSync(path, O_PATH | constants.O_NOFOLLOW);
  try {
    if (fstatSync(fd).isSymbolicLink()) {
      if (owner) tolerate(() => lchownSync(path, ...owner));
      if (times) lutimesSync(path, ...times);
      return;
    }
    const self = `/proc/self/fd/${fd}`;
    if (owner) tolerate(() => chownSync(self, ...owner));
    if (attrs.mode !== undefined) chmodSync(self, attrs.mode & 0o7777);
    if (times) utimesSync(self, ...times);
  } finally {
    closeSync(fd);
  }
}
