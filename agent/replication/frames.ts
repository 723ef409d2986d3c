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
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const MAX_FRAME = 8 * 1024 * 1024;

export interface Frame {
  type: FrameType;
  payload: Buffer;
}

export function encodeFrame(type: FrameType, payload: Buffer | object): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32LE(body.length + 1, 0);
  head.writeUInt8(type, 4);
  return Buffer.concat([head, body]);
}

export function jsonOf<T>(frame: Frame): T {
  try {
    return JSON.parse(frame.payload.toString('utf8')) as T;
  } catch {
    throw new TidemarkError('AE0468', `frame of type ${frame.type} does not carry valid JSON`);
  }
}

/** Splits a byte stream into frames; a frame that claims an impossible length is refused. */
export class FrameReader {
  private buffered: Buffer[] = [];
  private bytes = 0;

  push(chunk: Buffer): Frame[] {
    this.buffered.push(chunk);
    this.bytes += chunk.length;
    const frames: Frame[] = [];
    let buf = this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered);
    let o = 0;
    while (buf.length - o >= 5) {
      const length = buf.readUInt32LE(o);
      if (length < 1 || length > MAX_FRAME) {
        throw new TidemarkError('AE0468', `frame length ${length} is out of range`);
      }
      if (buf.length - o < 4 + length) break;
      const type = buf.readUInt8(o + 4);
      if (type < 1 || type > 12) throw new TidemarkError('AE0468', `unknown frame type ${type}`);
      frames.push({ type: type as FrameType, payload: buf.subarray(o + 5, o + 4 + length) });
      o += 4 + length;
    }
    buf = buf.subarray(o);
    this.buffered = buf.length > 0 ? [buf] : [];
    this.bytes = buf.length;
    return frames;
  }
}

/** Writes a frame and resolves when the socket can take more (back-pressure). */
export function sendFrame(socket: Socket, type: FrameType, payload: Buffer | object): Promise<void> {
  if (socket.destroyed) return Promise.reject(new Error('connection closed'));
  if (socket.write(encodeFrame(type, payload))) return Promise.resolve();
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
