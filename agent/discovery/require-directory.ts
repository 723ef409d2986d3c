import { stat } from 'node:fs/promises';

/** A clear message for a root that is missing or not a directory, instead of a bare ENOENT. */
export async function requireDirectory(root: string): Promise<void> {
  const info = await stat(root).catch(() => undefined);
  if (!info) throw new Error(`root ${root} does not exist`);
  if (!info.isDirectory()) throw new Error(`root ${root} is not a directory`);
}
