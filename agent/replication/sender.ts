/**
 * Master side of one replica: a single mutually authenticated TLS
 * connection that synchronizes when needed, then streams spool records in
 * order and releases them as the replica acknowledges. A lost connection is
 * retried with backoff and resumes after the replica's applied sequence
 * number — never from zero.
 */
import { connect, type TLSSocket } from 'node:tls';
import { TidemarkError } from '../../core/error-catalogue.js';
import type { TlsMaterial } from '../tls/certificates.js';
import { clientOptions } from '../tls/peer-identity.js';
import type { BandwidthLimit } from './bandwidth.js';
import {
  ackedSeqOf,
  ErrorMessage,
  messageOf,
  replyOf,
  SyncEndReply,
  SyncListReply,
  Welcome,
} from './control-messages.js';
import { encodeFrame, type Frame, FrameReader, FrameType, sendFrame, sendFrameParts } from './frames.js';
import { encodeRecord, type JournalRecord, sequenceOf } from './records.js';
import type { Spool, SpoolCursor } from './spool.js';
import type { ReplicaEntry, SyncPeer, SyncStatistics } from './sync-master.js';

export interface SenderHooks {
  scenarioId: string;
  replicaHost: string;
  address: string;
  port: number;
  tls: TlsMaterial;
  spool: Spool;
  bandwidth: BandwidthLimit;
  /** Whether the next connection must synchronize first (start, overflow). */
  needsSync(): boolean;
  /** Runs a synchronization over `peer`; resolves with the sequence number streaming resumes at. */
  synchronize(peer: SyncPeer, why: string): Promise<{ resumeSeq: number; stats: SyncStatistics }>;
  onConnected(): void;
  onLost(reason: string): void;
  onCaughtUp(): void;
  onRefused(message: string): void;
  onBytesSent(n: number): void;
  /** A frame at least this often, a ping when idle, so the replica can tell a quiet master from a lost one. */
  pingSeconds: number;
}

const WINDOW_BYTES = 64 * 1024 * 1024;

export class Sender {
  private socket: TLSSocket | undefined;
  private stopped = false;
  private ackedSeq = 0;
  private backoff = 100;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Counts wake-ups, so one that lands while the stream is busy (not yet waiting) is not lost. */
  private signals = 0;

  constructor(private readonly h: SenderHooks) {
    h.spool.on('durable', () => this.poke());
  }

  private poke(): void {
    this.signals++;
    this.wake?.();
  }

  get acked(): number {
    return this.ackedSeq;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Drops the connection on purpose (overflow): the next one synchronizes. */
  reset(): void {
    this.socket?.destroy();
  }

  private async run(): Promise<void> {
    let everConnected = false;
    let lostReported = false;
    while (!this.stopped) {
      try {
        await this.session(() => {
          everConnected = true;
          if (lostReported) this.h.onCaughtUp();
          lostReported = false;
          this.backoff = 100;
        });
      } catch (e) {
        if (this.stopped) break;
        const message = (e as Error).message;
        const malformed = e instanceof TidemarkError && e.code === 'AE0468';
        if (
          malformed ||
          /certificate|self.signed|unable to verify|expected '|refused by replica/i.test(message)
        ) {
          this.h.onRefused(message);
        } else if (everConnected && !lostReported) {
          lostReported = true;
          this.h.onLost(message);
        }
      }
      if (this.stopped) break;
      await new Promise((r) => setTimeout(r, this.backoff * (0.75 + Math.random() / 2)));
      this.backoff = Math.min(this.backoff * 2, 5000);
    }
  }

  private async session(connected: () => void): Promise<void> {
    const socket = connect(clientOptions(this.h.tls, this.h.replicaHost, this.h.address, this.h.port));
    this.socket = socket;
    const reader = new FrameReader();
    const replies: { resolve: (f: Frame) => void; reject: (e: Error) => void }[] = [];
    /** Where the parts of a streamed syncHashes go until its reply comes. */
    let onHashPart: ((part: Buffer) => void) | undefined;
    /** Where the parts of a streamed syncList go until its reply comes. */
    let onListPart: ((part: Frame) => void) | undefined;
    let failure: Error | undefined;
    const closed = new Promise<void>((resolve) => {
      const fail = (e: Error) => {
        failure ??= e;
        for (const r of replies.splice(0)) r.reject(failure);
        this.poke();
        resolve();
      };
      socket.on('error', fail);
      socket.on('close', () => fail(new Error('connection closed')));
      socket.on('data', (chunk: Buffer) => {
        let frames: Frame[];
        try {
          frames = reader.push(chunk);
        } catch (e) {
          socket.destroy(e as Error);
          return;
        }
        try {
          for (const f of frames) {
            if (f.type === FrameType.ack) {
              this.ackedSeq = Math.max(this.ackedSeq, ackedSeqOf(f));
              this.poke();
            } else if (f.type === FrameType.error) {
              const { code, message } = messageOf(f, ErrorMessage);
              socket.destroy(new Error(`refused by replica: ${code} ${message}`));
            } else if (f.type === FrameType.syncHashesPart) onHashPart?.(f.payload);
            else if (f.type === FrameType.syncListPart) onListPart?.(f);
            else replies.shift()?.resolve(f);
          }
        } catch (e) {
          // A malformed frame ends this session only; the sender reconnects with backoff.
          socket.destroy(e as Error);
        }
      });
    });
    const request = (type: FrameType, payload: Buffer | object): Promise<Frame> =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        replies.push({ resolve, reject });
        socket.write(encodeFrame(type, payload));
      });
    try {
      // stop() may destroy the socket before the handshake ends: 'close' must end the wait too.
      await Promise.race([
        new Promise<void>((resolve) => socket.once('secureConnect', resolve)),
        closed.then(() => {
          throw failure ?? new Error('connection closed');
        }),
      ]);
      const welcome = messageOf(
        replyOf(await request(FrameType.hello, { scenarioId: this.h.scenarioId }), FrameType.welcome),
        Welcome,
      );
      connected();
      this.h.onConnected();
      let next = welcome.appliedSeq + 1;
      const why = welcome.needSync
        ? 'the replica asked for it'
        : this.h.needsSync()
          ? 'start or overflow'
          : next < this.h.spool.firstSeq
            ? `the replica applied up to ${next - 1}, the spool starts at ${this.h.spool.firstSeq}`
            : // Ahead of what this spool made durable (a master state restored from an older copy): the
              // numbers past the end would be handed out again and skipped there as already applied.
              next > this.h.spool.durableEndSeq
              ? `the replica applied up to ${next - 1}, past the spool's durable end ${this.h.spool.durableEndSeq - 1}`
              : undefined;
      if (why) {
        const peer: SyncPeer = {
          list: async (root) => {
            const entries: ReplicaEntry[] = [];
            onListPart = (part) => entries.push(...messageOf(part, SyncListReply));
            try {
              const reply = await request(FrameType.syncList, { root, stream: true });
              entries.push(...messageOf(replyOf(reply, FrameType.syncListReply), SyncListReply));
              return entries;
            } finally {
              onListPart = undefined;
            }
          },
          hashes: async (path, onPart) => {
            onHashPart = onPart;
            try {
              const reply = await request(FrameType.syncHashes, { path, stream: onPart !== undefined });
              return replyOf(reply, FrameType.syncHashesReply).payload;
            } finally {
              onHashPart = undefined;
            }
          },
          send: async (r) => {
            const buf = encodeRecord({ ...r, seq: 0 } as JournalRecord);
            await this.h.bandwidth.take(buf.length);
            this.h.onBytesSent(buf.length);
            await sendFrame(socket, FrameType.syncRecord, buf);
          },
        };
        const { resumeSeq } = await this.h.synchronize(peer, why);
        messageOf(
          replyOf(await request(FrameType.syncEnd, { resumeSeq }), FrameType.syncEndReply),
          SyncEndReply,
        );
        next = resumeSeq;
      }
      this.ackedSeq = next - 1;
      await this.stream(socket, next, () => failure);
    } finally {
      socket.destroy();
      await closed;
    }
    if (failure) throw failure;
  }

  private async stream(socket: TLSSocket, from: number, failed: () => Error | undefined): Promise<void> {
    let cursor: SpoolCursor | number = from;
    let sentSeq = from - 1;
    const inflight: { seq: number; bytes: number }[] = [];
    let inflightBytes = 0;
    let lastSent = Date.now();
    while (!this.stopped && !failed()) {
      const seen = this.signals;
      while (inflight.length > 0 && (inflight[0] as { seq: number }).seq <= this.ackedSeq) {
        inflightBytes -= (inflight.shift() as { bytes: number }).bytes;
      }
      await this.h.spool.release(this.ackedSeq);
      const caughtUp = (typeof cursor === 'number' ? cursor : cursor.seq) >= this.h.spool.durableEndSeq;
      if (caughtUp || inflightBytes >= WINDOW_BYTES) {
        if (Date.now() - lastSent >= this.h.pingSeconds * 1000) {
          await sendFrame(socket, FrameType.ping, Buffer.alloc(0));
          lastSent = Date.now();
        }
        if (this.signals === seen) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 1000);
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        continue;
      }
      // Records just made durable come from memory, as their parts (see Spool.readParts).
      const { records, cursor: nextCursor } = await this.h.spool.readParts(cursor, 1024 * 1024);
      cursor = nextCursor;
      for (const parts of records) {
        const bytes = parts.reduce((n, p) => n + p.length, 0);
        await this.h.bandwidth.take(bytes);
        await sendFrameParts(socket, FrameType.record, parts);
        lastSent = Date.now();
        this.h.onBytesSent(bytes);
        sentSeq = sequenceOf(parts[0] as Buffer);
        inflight.push({ seq: sentSeq, bytes });
        inflightBytes += bytes;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.socket?.destroy();
    this.poke();
    await this.loop;
  }
}
