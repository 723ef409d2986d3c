/**
 * The replica's undo journal: before-images of what apply overwrites, with
 * rewind points between them. `rewind` plays the images after a point back
 * in reverse order. Nothing is journaled while no rewind point exists (there
 * would be nothing to rewind to), so the journal costs nothing until an
 * operator or a backup asks for a point.
 *
 * Entry: u32 headerLength | JSON header | u32 dataLength | data.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  open,
  readFile,
  rename,
  rm,
  truncate,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeAll } from '../fs/write-all.js';
import type { RewindPoint } from '../scenario-runtime.js';

type UndoOp =
  | { op: 'point'; id: string; createdAt: string; label?: string }
  /** Bytes at offset were `data`, and the file was `oldSize` long. */
  | { op: 'range'; path: string; offset: number; oldSize: number }
  /** The path did not exist. */
  | { op: 'absent'; path: string }
  /** A whole regular file that was removed or replaced. */
  | { op: 'file'; path: string; mode: number }
  | { op: 'attrs'; path: string; mode: number; uid: number; gid: number; mtimeMs: number }
  | { op: 'renamed'; from: string; to: string };

export class UndoJournal {
  private points: RewindPoint[] = [];
  private readonly file: string;

  constructor(
    dir: string,
    private readonly scenarioId: string,
  ) {
    this.file = join(dir, 'undo.log');
  }

  async open(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    this.points = (await this.entries())
      .filter((e) => e.header.op === 'point')
      .map((e) => {
        const h = e.header as Extract<UndoOp, { op: 'point' }>;
        return { id: h.id, scenarioId: this.scenarioId, createdAt: h.createdAt, label: h.label };
      });
  }

  get active(): boolean {
    return this.points.length > 0;
  }

  listPoints(): RewindPoint[] {
    return [...this.points];
  }

  async createPoint(label?: string): Promise<RewindPoint> {
    const point: RewindPoint = {
      id: randomUUID(),
      scenarioId: this.scenarioId,
      createdAt: new Date().toISOString(),
      label,
    };
    await this.append({ op: 'point', id: point.id, createdAt: point.createdAt, label });
    this.points.push(point);
    return point;
  }

  /** Journals the bytes about to be overwritten in [offset, offset+length) and the current size. */
  async beforeRange(path: string, offset: number, length: number): Promise<void> {
    if (!this.active) return;
    const size = await sizeOf(path);
    if (size === undefined) return this.append({ op: 'absent', path });
    const n = Math.max(0, Math.min(length, size - offset));
    const data = Buffer.alloc(n);
    if (n > 0) {
      const fd = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        await fd.read(data, 0, n, offset);
      } finally {
        await fd.close();
      }
    }
    await this.append({ op: 'range', path, offset, oldSize: size }, data);
  }

  /** Journals a whole entry about to be removed or replaced (or that it did not exist). */
  async beforeReplace(path: string): Promise<void> {
    if (!this.active) return;
    const st = await lstat(path).catch(() => undefined);
    if (!st) return this.append({ op: 'absent', path });
    if (st.isFile()) {
      const fd = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
      const data = await fd.readFile().finally(() => fd.close());
      return this.append({ op: 'file', path, mode: st.mode & 0o7777 }, data);
    }
    // Directories and symlinks: the snapshot layer keeps full trees; here the entry comes back empty.
    if (st.isDirectory())
      await this.append({ op: 'attrs', path, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeMs: -1 });
  }

  async beforeAttributes(path: string): Promise<void> {
    if (!this.active) return;
    const st = await lstat(path).catch(() => undefined);
    if (!st) return;
    await this.append({
      op: 'attrs',
      path,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtimeMs: st.mtimeMs,
    });
  }

  async renamed(from: string, to: string): Promise<void> {
    if (this.active) await this.append({ op: 'renamed', from, to });
  }

  /** Rolls the tree back to `pointId`, newest change first, and forgets the undone entries. */
  async rewind(pointId: string): Promise<void> {
    const entries = await this.entries();
    const at = entries.findIndex((e) => e.header.op === 'point' && e.header.id === pointId);
    if (at < 0) throw new Error(`no rewind point ${pointId}`);
    for (const { header: h, data } of entries.slice(at + 1).reverse()) {
      switch (h.op) {
        case 'range': {
          await mkdir(dirname(h.path), { recursive: true });
          const fd = await open(h.path, 'a+').then(async (f) => {
            await f.close();
            return open(h.path, 'r+');
          });
          try {
            if (data.length > 0) await writeAll(fd, data, h.offset);
          } finally {
            await fd.close();
          }
          await truncate(h.path, h.oldSize);
          break;
        }
        case 'absent':
          await rm(h.path, { recursive: true, force: true });
          break;
        case 'file':
          await rm(h.path, { recursive: true, force: true });
          await mkdir(dirname(h.path), { recursive: true });
          await writeFile(h.path, data, { mode: h.mode });
          break;
        case 'attrs':
          await mkdir(h.path, { recursive: true }).catch(() => undefined);
          await chmod(h.path, h.mode).catch(() => undefined);
          await chown(h.path, h.uid, h.gid).catch(() => undefined);
          if (h.mtimeMs >= 0) await utimes(h.path, new Date(), h.mtimeMs / 1000).catch(() => undefined);
          break;
        case 'renamed':
          await mkdir(dirname(h.from), { recursive: true });
          await rename(h.to, h.from).catch(() => undefined);
          break;
      }
    }
    await truncate(this.file, (entries[at] as { end: number }).end);
    this.points = this.points.slice(0, this.points.findIndex((p) => p.id === pointId) + 1);
  }

  private async append(header: UndoOp, data: Buffer = Buffer.alloc(0)): Promise<void> {
    const h = Buffer.from(JSON.stringify(header));
    const buf = Buffer.allocUnsafe(8 + h.length + data.length);
    buf.writeUInt32LE(h.length, 0);
    h.copy(buf, 4);
    buf.writeUInt32LE(data.length, 4 + h.length);
    data.copy(buf, 8 + h.length);
    const fd = await open(this.file, 'a', 0o600);
    const start = (await fd.stat()).size;
    try {
      await writeAll(fd, buf);
      await fd.datasync();
    } catch (e) {
      // A full disk: cut the torn entry off, or every entry after it would be unreadable.
      await fd.truncate(start).catch(() => undefined);
      throw e;
    } finally {
      await fd.close();
    }
  }

  private async entries(): Promise<{ header: UndoOp; data: Buffer; end: number }[]> {
    const buf = await readFile(this.file).catch(() => Buffer.alloc(0));
    const out: { header: UndoOp; data: Buffer; end: number }[] = [];
    let o = 0;
    while (o + 8 <= buf.length) {
      const hl = buf.readUInt32LE(o);
      if (o + 8 + hl > buf.length) break;
      const dl = buf.readUInt32LE(o + 4 + hl);
      const end = o + 8 + hl + dl;
      if (end > buf.length) break; // torn last entry from a crash: ignored
      out.push({
        header: JSON.parse(buf.toString('utf8', o + 4, o + 4 + hl)) as UndoOp,
        data: buf.subarray(o + 8 + hl, end),
        end,
      });
      o = end;
    }
    return out;
  }
}

/** The size of a file; a symlink (never followed) or nothing at all has none. */
async function sizeOf(path: string): Promise<number | undefined> {
  const st = await lstat(path).catch(() => undefined);
  return st?.isFile() ? st.size : undefined;
}
