/**
 * Replica side of one master connection: answers the handshake with the
 * applied sequence number, serves synchronization requests, applies records
 * in order and acknowledges them once durable. Frames are handled one at a
 * time; while apply is paused (suspend, snapshot) the socket is paused too,
 * so back-pressure reaches the master and changes wait in its spool.
 */
import { constants } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { TidemarkError } from '../../core/error-catalogue.js';
import type { Applier } from './applier.js';
import { hashBlocks } from './block-hash.js';
import { messageOf, SyncEnd, SyncHashes, SyncList } from './control-messages.js';
import { encodeFrame, type Frame, FrameReader, FrameType } from './frames.js';
import { decodeRecord } from './records.js';
import { dataLayout } from './sparse-layout.js';
import type { ReplicaEntry } from './sync-master.js';
import { walkIn } from './tree-walk.js';

export interface ReplicaScenario {
  applier: Applier;
  directory: string;
  roots: string[];
  /** Resolves when apply may proceed (suspend and the snapshot gate hold it). */
  gate(): Promise<void>;
  /** Marks a record as being applied so the gate can wait for it. */
  busy(on: boolean): void;
  needsSync(): boolean;
  synced(): Promise<void>;
  onError(e: Error): void;
  /** Told after each ack, and after a sync ends: what was refused before has been applied since. */
  acked?(): void;
  /** Told whenever bytes arrive from the master (the is-alive check). */
  heard?(): void;
}

const ACK_EVERY = 512;
/** Entries per syncListPart frame: ~0.5 MB of JSON with long paths, well under the 8 MiB frame limit. */
const LIST_PART = 4096;

export function serveMaster(socket: TLSSocket, scenario: ReplicaScenario, first: Frame[]): void {
  const reader = new FrameReader();
  const queue: Frame[] = [...first];
  let working = false;
  let unacked = 0;
  const send = (type: FrameType, payload: Buffer | object) => {
    if (!socket.destroyed) socket.write(encodeFrame(type, payload));
  };
  const ack = async () => {
    if (unacked === 0) return;
    await scenario.applier.flush();
    unacked = 0;
    const buf = Buffer.alloc(8);
    buf.writeBigUInt64LE(BigInt(scenario.applier.appliedSeq), 0);
    send(FrameType.ack, buf);
    scenario.acked?.();
  };
  const refuse = (e: unknown) => {
    const err = e as Error & { code?: string };
    // A system error's code (ENOSPC) is not one of ours: it stays in the message.
    const code = e instanceof TidemarkError ? e.code : 'AE0472';
    send(FrameType.error, { code, message: err.message });
    scenario.onError(err);
    socket.end();
    socket.destroy();
  };
  /** Hashes a file for synchronization; streamed, each read's hashes go at once (syncHashesPart). */
  const sendHashes = async (relative: string, stream: boolean) => {
    const fd = await scenario.applier.target.openFile(relative, constants.O_RDONLY);
    try {
      let part: Buffer[] = [];
      const layout = await dataLayout(fd, await fd.stat());
      const { hashes } = await hashBlocks(
        fd,
        stream ? (_i, _block, hash) => part.push(hash) : undefined,
        stream
          ? async () => {
              if (socket.destroyed) throw new Error('connection closed');
              if (part.length > 0) send(FrameType.syncHashesPart, Buffer.concat(part));
              part = [];
            }
          : undefined,
        layout,
      );
      send(FrameType.syncHashesReply, stream ? Buffer.concat(part) : hashes);
    } finally {
      await fd.close();
    }
  };
  const handle = async (frame: Frame) => {
    // Frames read before a slow apply paused the socket still show the master alive.
    scenario.heard?.();
    switch (frame.type) {
      case FrameType.record:
      case FrameType.syncRecord: {
        const record = decodeRecord(frame.payload);
        await scenario.gate();
        scenario.busy(true);
        try {
          await scenario.applier.apply(record, frame.type === FrameType.record);
        } finally {
          scenario.busy(false);
        }
        if (frame.type === FrameType.record && ++unacked >= ACK_EVERY) await ack();
        return;
      }
      case FrameType.syncList: {
        const { root, stream } = messageOf(frame, SyncList);
        // Listed through the target folder's contained tree: a symlink on the way is never entered.
        const tree = scenario.applier.target;
        const base = tree.root === '/' ? '' : tree.root;
        const listed = await walkIn(
          tree,
          scenario.applier.relativeOf(root),
          (n) => n === '.tidemark-staging',
        );
        const entries: ReplicaEntry[] = listed.map((e) => ({
          path: e.path.slice(base.length),
          kind: e.kind,
          size: e.size,
          mtimeMs: e.mtimeMs,
          mode: e.mode,
          target: e.target,
        }));
        // Streamed in parts: 200,000 entries are ~25 MB of JSON, three times the frame limit.
        let from = 0;
        for (; stream && entries.length - from > LIST_PART; from += LIST_PART) {
          send(FrameType.syncListPart, entries.slice(from, from + LIST_PART));
        }
        send(FrameType.syncListReply, entries.slice(from));
        return;
      }
      case FrameType.syncHashes: {
        const { path, stream } = messageOf(frame, SyncHashes);
        const relative = scenario.applier.relativeOf(path);
        const st = await scenario.applier.target.lstat(relative).catch(() => undefined);
        if (!st?.isFile()) return send(FrameType.syncHashesReply, Buffer.alloc(0));
        const hashing = sendHashes(relative, stream === true);
        if (!stream) return hashing;
        // Streamed: the master sends a block only after it has this side's hash of it, so the
        // records that follow may be applied while the rest of the file is still being hashed.
        hashing.catch((e) => {
          if (!socket.destroyed) refuse(e);
        });
        return;
      }
      case FrameType.syncEnd: {
        const { resumeSeq } = messageOf(frame, SyncEnd);
        await scenario.applier.flush();
        await scenario.applier.setAppliedSeq(resumeSeq - 1);
        await scenario.synced();
        send(FrameType.syncEndReply, { appliedSeq: resumeSeq - 1 });
        // Durable through resumeSeq - 1: as good as an ack, so a replica that was refusing applies says it
        // applies again even when the sync covered every change and no record follows to be acked.
        scenario.acked?.();
        return;
      }
      case FrameType.ping:
        return;
      default:
        throw new TidemarkError('AE0468', `unexpected frame type ${frame.type} from the master`);
    }
  };
  const pump = async () => {
    if (working) return;
    working = true;
    try {
      while (queue.length > 0 && !socket.destroyed) {
        await handle(queue.shift() as Frame);
        if (queue.length < 64) socket.resume();
      }
      if (!socket.destroyed) await ack();
    } catch (e) {
      refuse(e);
    } finally {
      working = false;
    }
    // Frames that arrived during the final ack found `working` set and were left for us.
    if (queue.length > 0 && !socket.destroyed) void pump();
  };
  socket.on('data', (chunk: Buffer) => {
    scenario.heard?.();
    try {
      queue.push(...reader.push(chunk));
    } catch (e) {
      return refuse(e);
    }
    if (queue.length >= 256) socket.pause();
    void pump();
  });
  send(FrameType.welcome, { appliedSeq: scenario.applier.appliedSeq, needSync: scenario.needsSync() });
  void pump();
}
