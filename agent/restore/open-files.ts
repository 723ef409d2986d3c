/**
 * The restore's temp files, kept open while their chunks arrive: a file
 * (created and sized beforehand, see file-batches.ts) is opened on its first
 * chunk, written at each chunk's offset, and closed after its last one. They are not fsynced one by
 * one: the restore flushes them all at once before renaming them into place
 * (durable.ts); an fsync per file cost ≈0.3 ms each, seconds for 12,000
 * small files. At most `limit`
 * idle files stay open at once; one closed early is reopened if another of
 * its chunks comes. This replaces an open/write/close per chunk.
 */
import { type FileHandle, open } from 'node:fs/promises';

export interface TempFile {
  temp: string;
  size: number;
  /** Whether the chunks leave a gap (a hole) the file's size must cover; else no truncate is needed. */
  holes?: boolean;
  /** Chunk writes still to come; the file is finished when it reaches 0. */
  remaining: number;
}

interface Slot {
  file: TempFile;
  handle?: Promise<FileHandle>;
  users: number;
}

export class OpenFiles {
  private readonly slots = new Map<TempFile, Slot>();
  /** Slots holding a handle, oldest first (Map keeps insertion order). */
  private readonly open = new Map<TempFile, Slot>();

  constructor(private readonly limit = 256) {}

  async write(file: TempFile, data: Buffer, offset: number): Promise<void> {
    let slot = this.slots.get(file);
    if (!slot) {
      slot = { file, users: 0 };
      this.slots.set(file, slot);
    }
    slot.users++;
    try {
      if (!slot.handle) {
        // Created (and sized) beforehand: no O_CREAT, so no exclusive lock on the directory.
        slot.handle = open(file.temp, 'r+');
        this.open.set(file, slot);
      }
      const handle = await slot.handle;
      await handle.write(data, 0, data.length, offset);
      if (--file.remaining === 0) {
        this.open.delete(file);
        slot.handle = undefined;
        await handle.close();
      }
    } finally {
      slot.users--;
    }
    await this.evictIdle();
  }

  /** Closes every handle still open (after a failure: the caller removes the temp files). */
  async closeAll(): Promise<void> {
    const handles = [...this.open.values()].map((s) => s.handle);
    this.open.clear();
    await Promise.all(handles.map((h) => h?.then((handle) => handle.close()).catch(() => undefined)));
  }

  private async evictIdle(): Promise<void> {
    for (const [file, slot] of this.open) {
      if (this.open.size <= this.limit) return;
      if (slot.users > 0 || !slot.handle) continue;
      const handle = slot.handle;
      slot.handle = undefined;
      this.open.delete(file);
      await (await handle).close();
    }
  }
}
