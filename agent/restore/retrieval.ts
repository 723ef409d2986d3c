/** Packs that sit in an archive tier cannot be read until retrieved: find them before any byte is written. */

import { Limiter } from '../backup/limiter.js';
import { keys } from '../backup/repository.js';
import type { StorageBackend } from '../backup/storage.js';

const ARCHIVE_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);

export async function packsNeedingRetrieval(
  storage: StorageBackend,
  packs: Iterable<string>,
): Promise<string[]> {
  // A HEAD each; many at once, since a restore waits on them before reading anything.
  const limiter = new Limiter(16);
  const checks = [...packs].map((pack) =>
    limiter.run(async () => {
      const info = await storage.storageClass(keys.pack(pack));
      return info?.storageClass && ARCHIVE_CLASSES.has(info.storageClass) && !info.restored
        ? pack
        : undefined;
    }),
  );
  return (await Promise.all(checks)).filter((p): p is string => p !== undefined).sort();
}
