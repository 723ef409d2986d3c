/**
 * The JSON control messages of the agent-to-agent stream, each checked on
 * arrival. A peer holds a valid certificate but may still be buggy or
 * compromised: a message that does not parse is AE0468 naming the frame and
 * the field, never an exception thrown out of a socket handler (which would
 * stop the whole agent) and never a NaN written into the applied sequence.
 */
import { z } from 'zod';
import { TidemarkError } from '../../core/error-catalogue.js';
import { type Frame, FrameType } from './frames.js';

const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const WirePath = z.string().min(1).max(4096);

export const Hello = z.object({ scenarioId: z.string().min(1).max(100) });
export const Welcome = z.object({ appliedSeq: Seq, needSync: z.boolean() });
export const ErrorMessage = z.object({ code: z.string().min(1).max(32), message: z.string().max(4096) });
export const SyncList = z.object({ root: WirePath, stream: z.boolean().optional() });
export const SyncHashes = z.object({ path: WirePath, stream: z.boolean().optional() });
export const SyncEnd = z.object({ resumeSeq: Seq.min(1) });
export const SyncEndReply = z.object({ appliedSeq: Seq });
export const SyncListReply = z.array(
  z.object({
    path: WirePath,
    kind: z.enum(['file', 'dir', 'symlink']),
    size: z.number().int().min(0),
    mtimeMs: z.number(),
    mode: z.number().int().min(0),
    target: z.string().max(4096).optional(),
  }),
);

const NAMES = new Map<z.ZodType, string>([
  [Hello, 'hello'],
  [Welcome, 'welcome'],
  [ErrorMessage, 'error'],
  [SyncList, 'syncList'],
  [SyncHashes, 'syncHashes'],
  [SyncEnd, 'syncEnd'],
  [SyncEndReply, 'syncEndReply'],
  [SyncListReply, 'syncListReply'],
]);

/** The frame's JSON payload checked against its message schema; AE0468 naming what is wrong. */
export function messageOf<S extends z.ZodType>(frame: Frame, schema: S): z.output<S> {
  const name = NAMES.get(schema) ?? `type ${frame.type}`;
  let json: unknown;
  try {
    json = JSON.parse(frame.payload.toString('utf8'));
  } catch {
    throw new TidemarkError('AE0468', `the ${name} frame does not carry valid JSON`);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : 'its body';
  throw new TidemarkError(
    'AE0468',
    `the ${name} frame is malformed: ${field}: ${issue?.message ?? 'invalid'}`,
  );
}

/** The sequence number an ack frame carries (8 bytes, little-endian). */
export function ackedSeqOf(frame: Frame): number {
  if (frame.payload.length !== 8) {
    throw new TidemarkError('AE0468', `the ack frame carries ${frame.payload.length} bytes, not 8`);
  }
  const seq = frame.payload.readBigUInt64LE(0);
  if (seq > BigInt(Number.MAX_SAFE_INTEGER))
    throw new TidemarkError('AE0468', 'the ack frame is out of range');
  return Number(seq);
}

const TYPE_NAMES = new Map<number, string>(Object.entries(FrameType).map(([name, type]) => [type, name]));

/** The reply frame when it is of the type the request expects; AE0468 otherwise. */
export function replyOf(frame: Frame, type: FrameType): Frame {
  if (frame.type === type) return frame;
  throw new TidemarkError(
    'AE0468',
    `the peer answered with a ${TYPE_NAMES.get(frame.type)} frame where a ${TYPE_NAMES.get(type)} was due`,
  );
}
