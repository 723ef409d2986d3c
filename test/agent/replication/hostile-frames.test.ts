/**
 * Malformed control frames between agents, over real TLS with valid
 * certificates: a peer that sends a broken hello, error, welcome or ack must
 * get (or cause) an AE0468 refusal of that session only. The agent keeps
 * serving: the next well-formed session works, and an exception escaping a
 * socket handler would fail this run as an unhandled error.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FrameReader, FrameType } from '../../../agent/replication/frames.js';
import { ReplicationEngine } from '../../../agent/replication/runtime.js';
import {
  createCertificateAuthority,
  issueHostCertificate,
  type TlsMaterial,
} from '../../../agent/tls/certificates.js';
import { serverOptions } from '../../../agent/tls/peer-identity.js';
import type { Scenario } from '../../../core/scenario.js';
import { makeScenario, Recorder, talk } from './harness.js';

let base: string;
let scenario: Scenario;
let replica: ReplicationEngine;
let masterTls: TlsMaterial;
let replicaTls: TlsMaterial;

/** A frame with any type byte and payload, as a broken peer would write it. */
function raw(type: number, payload: string | Buffer, length?: number): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const head = Buffer.alloc(5);
  head.writeUInt32LE(length ?? body.length + 1, 0);
  head.writeUInt8(type, 4);
  return Buffer.concat([head, body]);
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'frames-'));
  const ca = await createCertificateAuthority(join(base, 'ca'));
  masterTls = await issueHostCertificate(ca, 'master-1', base);
  replicaTls = await issueHostCertificate(ca, 'replica-1', base);
  scenario = await makeScenario('/srv/share', join(base, 'replica-target'));
  replica = await ReplicationEngine.create({
    stateDir: join(base, 'replica-state'),
    tls: replicaTls,
    listen: { host: '127.0.0.1', port: 0 },
    events: new Recorder(),
  });
  await replica.start({ scenario, self: 'replica-1', peers: [] });
}, 30_000);

afterAll(async () => {
  await replica?.close();
  await rm(base, { recursive: true, force: true });
});

const hello = () => encodeFrame(FrameType.hello, { scenarioId: scenario.id });

describe('a replica facing malformed frames from a master', () => {
  it.each([
    [
      'a hello that is not JSON',
      raw(FrameType.hello, '{scenarioId:'),
      'hello frame does not carry valid JSON',
    ],
    ['a hello of null', raw(FrameType.hello, 'null'), 'hello frame is malformed'],
    ['a hello whose scenarioId is a number', raw(FrameType.hello, '{"scenarioId":5}'), 'scenarioId'],
    [
      'a hello with a 1,000-character scenarioId',
      encodeFrame(FrameType.hello, { scenarioId: 'x'.repeat(1000) }),
      'scenarioId',
    ],
    [
      'a welcome before any hello',
      encodeFrame(FrameType.welcome, { appliedSeq: 0, needSync: false }),
      'must be a hello',
    ],
    ['an unknown frame type', raw(99, '{}'), 'unknown frame type 99'],
    ['a frame claiming 2 GiB', raw(FrameType.hello, '{}', 2 ** 31), 'out of range'],
    ['a frame of length 0', raw(FrameType.hello, '', 0), 'out of range'],
  ])('refuses %s with AE0468 and keeps serving', async (_what, frame, why) => {
    const answer = await talk(replica.port as number, masterTls, [frame], 1000);
    expect(answer).toContain(`${FrameType.error}:`);
    expect(answer).toContain('"code":"AE0468"');
    expect(answer).toContain(why);
    const next = await talk(replica.port as number, masterTls, [hello()], 500);
    expect(next).toMatch(new RegExp(`^${FrameType.welcome}:\\{"appliedSeq":\\d+`));
  });

  it('refuses a syncEnd whose resumeSeq is not a number, and keeps its applied sequence', async () => {
    const before = await talk(replica.port as number, masterTls, [hello()], 500);
    const answer = await talk(
      replica.port as number,
      masterTls,
      [hello(), raw(FrameType.syncEnd, '{"resumeSeq":"everything"}')],
      1000,
    );
    expect(answer).toContain('"code":"AE0468"');
    expect(answer).toContain('the syncEnd frame is malformed: resumeSeq');
    const after = await talk(replica.port as number, masterTls, [hello()], 500);
    expect(after.split('\n')[0]).toBe(before.split('\n')[0]);
  });
});

describe('a master facing malformed frames from a replica', () => {
  /** A fake replica with a valid certificate that answers each session's hello with the next reply. */
  async function fakeReplica(
    replies: Buffer[][],
  ): Promise<{ server: Server; port: number; sessions: () => number }> {
    let sessions = 0;
    const server = createServer(serverOptions(replicaTls), (socket: TLSSocket) => {
      const reader = new FrameReader();
      const reply = replies[Math.min(sessions, replies.length - 1)] as Buffer[];
      sessions++;
      socket.on('data', (chunk: Buffer) => {
        if (reader.push(chunk).some((f) => f.type === FrameType.hello))
          for (const f of reply) socket.write(f);
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, port: (server.address() as { port: number }).port, sessions: () => sessions };
  }

  it.each([
    [
      'an error frame that is not JSON',
      [raw(FrameType.error, 'oops')],
      'error frame does not carry valid JSON',
    ],
    [
      'a welcome whose appliedSeq is a string',
      [raw(FrameType.welcome, '{"appliedSeq":"7","needSync":false}')],
      'appliedSeq',
    ],
    [
      'a syncListReply where the welcome was due',
      [encodeFrame(FrameType.syncListReply, [])],
      'where a welcome was due',
    ],
    [
      'an ack of three bytes',
      [
        encodeFrame(FrameType.welcome, { appliedSeq: 0, needSync: false }),
        raw(FrameType.ack, Buffer.alloc(3)),
      ],
      'ack frame carries 3 bytes',
    ],
  ])('ends the session on %s (AE0468 event) and connects again', async (_what, reply, why) => {
    const fake = await fakeReplica([reply]);
    const events = new Recorder();
    const master = await ReplicationEngine.create({
      stateDir: join(base, `master-state-${fake.port}`),
      tls: masterTls,
      events,
    });
    const { mkdir } = await import('node:fs/promises');
    const root = join(base, `data-${fake.port}`);
    await mkdir(root, { recursive: true });
    const own = { ...scenario, roots: [root], options: { ...scenario.options, syncMode: 'file' as const } };
    try {
      await master.start({
        scenario: own,
        self: 'master-1',
        peers: [{ host: 'replica-1', address: '127.0.0.1', port: fake.port }],
      });
      const until = Date.now() + 10_000;
      while (
        Date.now() < until &&
        (fake.sessions() < 2 || !events.events.some((e) => e.text.includes(why)))
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(events.events.map((e) => e.text).join('\n')).toContain(why);
      expect(fake.sessions()).toBeGreaterThanOrEqual(2);
    } finally {
      await master.close();
      fake.server.close();
    }
  });
});
