/**
 * Framing on the agent-to-agent stream: u32 length | u8 type | payload.
 * Records travel as their spool encoding (checked again on arrival); control
 * messages are small JSON objects.
 */
import type { Socket } from 'node:net';
import { TidemarkError } from '../../core/error-catalogue.js';

export const FrameType = {
  hello: 1,
  welcome: 2,
  record: 3,
  ack: 4,
  error: 5,
  syncList: 6,
  syncListReply: 7,
  syncHashes: 8,
  syncHashesReply: 9,
  syncRecord: 10,
  syncEnd: 11,
  syncEndReply: 12,
  /** Block hashes of a file as the replica computes them (a streamed syncHashes); syncHashesReply ends them. */
  syncHashesPart: 13,
  /** Entries of the replica's tree (a streamed syncList); syncListReply ends them. */
  syncListPart: 14,
  /** The master is alive and has nothing to send (master-watch.ts); no payload, no answer. */
  ping: 15,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const KNOWN_TYPES = new Set<number>(Object.values(FrameType));
const MAX_FRAME = 8 * 1024 * 1024;
const SEPARATE_BODY = 64 * 1024;

export interface Frame {
  type: FrameType;
  payload: Buffer;
}

export function encodeFrame(type: FrameType, payload: Buffer | object): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  return Buffer.concat([frameHead(type, body.length), body]);
}

/**
 * Splits a byte stream into frames; a frame that claims an impossible length
 * is refused. TLS hands data over in 16 KiB pieces: they are kept as a list
 * and joined once per frame (joining on every piece made a 1 MiB frame cost
 * ~32 MiB of copying).
 */
export class FrameReader {
  private buffered: Buffer[] = [];
  private bytes = 0;

  push(chunk: Buffer): Frame[] {
    this.buffered.push(chunk);
    this.bytes += chunk.length;
    const frames: Frame[] = [];
    while (this.bytes >= 5) {
      const head = this.peek(5);
      const length = head.readUInt32LE(0);
      if (length < 1 || length > MAX_FRAME) {
        throw new TidemarkError('AE0468', `frame length ${length} is out of range`);
      }
      const type = head.readUInt8(4);
      if (!KNOWN_TYPES.has(type)) throw new TidemarkError('AE0468', `unknown frame type ${type}`);
      if (this.bytes < 4 + length) break;
      const frame = this.take(4 + length);
      frames.push({ type: type as FrameType, payload: frame.subarray(5) });
    }
    return frames;
  }

  /** The first `n` buffered bytes, joined only when they span pieces. */
  private peek(n: number): Buffer {
    const first = this.buffered[0] as Buffer;
    if (first.length >= n) return first.subarray(0, n);
    const joined = Buffer.concat(this.buffered);
    this.buffered = [joined];
    return joined.subarray(0, n);
  }

  /** Removes and returns the first `n` buffered bytes (one copy at most). */
  private take(n: number): Buffer {
    let out: Buffer;
    const first = this.buffered[0] as Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.buffered.shift();
      else this.buffered[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let o = 0;
      while (o < n) {
        const piece = this.buffered[0] as Buffer;
        const want = Math.min(piece.length, n - o);
        piece.copy(out, o, 0, want);
        o += want;
        if (want === piece.length) this.buffered.shift();
        else this.buffered[0] = piece.subarray(want);
      }
    }
    this.bytes -= n;
    return out;
  }
}

/** The 5-byte head of a frame whose payload is `bodyLength` bytes. */
function frameHead(type: FrameType, bodyLength: number): Buffer {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32LE(bodyLength + 1, 0);
  head.writeUInt8(type, 4);
  return head;
}

/** Writes a frame and resolves when the socket can take more (back-pressure). */
export function sendFrame(socket: Socket, type: FrameType, payload: Buffer | object): Promise<void> {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  return sendFrameParts(socket, type, [body]);
}

/**
 * Writes a frame whose payload is `parts` one after the other (a record's
 * head and its data), without joining them: a large part goes to the socket
 * on its own (joining copied every megabyte of records once more, and TLS
 * would also copy a corked pair into one buffer); small pieces are joined
 * with the frame head into one write.
 */
export function sendFrameParts(socket: Socket, type: FrameType, parts: Buffer[]): Promise<void> {
  if (socket.destroyed) return Promise.reject(new Error('connection closed'));
  const length = parts.reduce((n, p) => n + p.length, 0);
  let small: Buffer[] = [frameHead(type, length)];
  let more = true;
  for (const part of parts) {
    if (part.length < SEPARATE_BODY) {
      small.push(part);
      continue;
    }
    if (small.length > 0) socket.write(small.length === 1 ? (small[0] as Buffer) : Buffer.concat(small));
    small = [];
    more = socket.write(part);
  }
  if (small.length > 0) more = socket.write(Buffer.concat(small));
  if (more) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (e?: Error) => {
      socket.off('drain', ok);
      socket.off('close', closed);
      if (e) reject(e);
      else resolve();
    };
    const ok = () => done();
    const closed = () => done(new Error('connection closed'));
    socket.once('drain', ok);
    socket.once('close', closed);
  });
}
