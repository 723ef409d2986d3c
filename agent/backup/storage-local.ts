/**
 * A repository in a local directory: each key is a file; writes go to a temp name, are fsynced, then
 * renamed.
 */

import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { isNoSpace } from '../fs/no-space.js';
import { writeAll } from '../fs/write-all.js';
import { readFileDirect, writeFileDirect } from './direct-io.js';
import { ObjectMissing, ShortObject, type StorageBackend, type StoredObject } from './storage.js';

/** Bodies from this size are written with direct I/O (direct-io.ts): packs, not index files or manifests. */
const DIRECT_FROM = 1024 * 1024;

export class LocalDirectoryStorage implements StorageBackend {
  readonly location: string;

  constructor(private readonly root: string) {
    this.location = `file://${root}/`;
  }

  private file(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Buffer | Buffer[]): Promise<void> {
    const target = this.file(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      await this.writeTemp(temp, body);
      await rename(temp, target);
    } catch (error) {
      // A temp left behind by a failed write would hold the space a retry needs (disk full).
      await rm(temp, { force: true });
      if (!isNoSpace(error)) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(`writing ${key} to the repository at ${this.root}: ${detail}`, { cause: error });
    }
    // The rename is durable only once the directory entry is.
    const dir = await open(path.dirname(target), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private async writeTemp(temp: string, body: Buffer | Buffer[]): Promise<void> {
    // Packs (large, page-aligned slots) bypass the page cache where the filesystem allows it, and a
    // restore reads them back the same way (`readInto`).
    if (!Array.isArray(body) && body.length >= DIRECT_FROM && (await writeFileDirect(temp, body))) return;
    const handle = await open(temp, 'w');
    try {
      if (Array.isArray(body)) await writeAll(handle, body, 0);
      else await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async openToRead(key: string): Promise<FileHandle> {
    try {
      return await open(this.file(key), 'r');
    } catch (error) {
      throw missingOr(error, key);
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.file(key));
    } catch (error) {
      throw missingOr(error, key);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    const handle = await this.openToRead(key);
    try {
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async readInto(key: string, offset: number, length: number, slot: Buffer): Promise<number> {
    const direct = await readFileDirect(this.file(key), offset, length, slot).catch((error: unknown) => {
      throw missingOr(error, key);
    });
    if (direct) {
      const { start, filled } = direct;
      if (filled < start + length) throw new ShortObject(key, offset - start + filled);
      return start;
    }
    const handle = await this.openToRead(key);
    try {
      for (let filled = 0; filled < length; ) {
        const { bytesRead } = await handle.read(slot, filled, length - filled, offset + filled);
        if (bytesRead === 0) throw new ShortObject(key, offset + filled);
        filled += bytesRead;
      }
    } finally {
      await handle.close();
    }
    return 0;
  }

  async getStream(key: string, offset: number, length: number): Promise<AsyncIterable<Uint8Array>> {
    const handle = await this.openToRead(key);
    if (length === 0) {
      await handle.close();
      return Readable.from([]);
    }
    // The stream closes the handle when it ends, fails or is destroyed.
    return handle.createReadStream({ start: offset, end: offset + length - 1, highWaterMark: 1024 * 1024 });
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const dir = this.file(prefix.replace(/\/$/, ''));
    let names: string[];
    try {
      names = await readdir(dir, { recursive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: StoredObject[] = [];
    for (const name of names) {
      if (name.includes('.tmp-')) continue; // a write in progress or one killed mid-way
      const info = await stat(path.join(dir, name)).catch(() => undefined);
      if (!info?.isFile()) continue;
      out.push({
        key: `${prefix.replace(/\/$/, '')}/${name.split(path.sep).join('/')}`,
        size: info.size,
        modified: info.mtime,
      });
    }
    return out;
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async storageClass(): Promise<undefined> {
    return undefined;
  }
}

function missingOr(error: unknown, key: string): unknown {
  return (error as NodeJS.ErrnoException).code === 'ENOENT' ? new ObjectMissing(key) : error;
}
