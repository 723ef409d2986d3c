/**
 * A replication engine alone in its own process, without the daemon's
 * control-plane loop: `tsx agent/replication/engine-process.ts <config.json>`.
 * The crash tests SIGKILL it and start it again on the same state directory;
 * the benchmark runs master and replica apart with it.
 *
 * Protocol: one JSON object per line. Out on stdout: `ready` (with the data
 * port), `event`, `alert`, `spooled` (a master file state durable in every
 * spool) and `stats` answers. In on stdin: `{"op":"stats","scenarioId":…}`
 * and `{"op":"close"}` (a clean stop; end of stdin does the same).
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { TidemarkError } from '../../core/error-catalogue.js';
import { HostName } from '../../core/host.js';
import { AbsolutePath, Scenario } from '../../core/scenario.js';
import type { AgentEvents } from '../scenario-runtime.js';
import { ReplicationEngine } from './runtime.js';

export const EngineProcessConfig = z.strictObject({
  self: HostName,
  stateDir: AbsolutePath,
  /** PEM files: this host's key and certificate, and the deployment CA. */
  tls: z.strictObject({ key: AbsolutePath, cert: AbsolutePath, ca: AbsolutePath }),
  listen: z.strictObject({ host: z.string().min(1), port: z.number().int().min(0).max(65535) }).optional(),
  scenarios: z.array(Scenario).min(1),
  peers: z.array(
    z.strictObject({ host: HostName, address: z.string().min(1), port: z.number().int().min(1).max(65535) }),
  ),
});
export type EngineProcessConfig = z.infer<typeof EngineProcessConfig>;

const Command = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('stats'), scenarioId: z.string() }),
  z.strictObject({ op: z.literal('close') }),
]);

function say(o: object): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

async function loadConfig(path: string | undefined): Promise<EngineProcessConfig> {
  if (!path) throw new TidemarkError('AE0468', 'usage: engine-process <config.json>');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new TidemarkError('AE0468', `cannot read config ${path}: ${(e as Error).message}`);
  }
  const parsed = EngineProcessConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw new TidemarkError('AE0468', `config ${path}: ${field}: ${issue?.message}`, 400, field);
  }
  return parsed.data;
}

async function main(): Promise<void> {
  const config = await loadConfig(process.argv[2]);
  const events: AgentEvents = {
    event: (e) => say({ type: 'event', ...e }),
    alert: (scenarioId, kind, text) => say({ type: 'alert', scenarioId, kind, text }),
    rewindPoints: (scenarioId, points) => say({ type: 'rewind-points', scenarioId, points }),
  };
  const engine = await ReplicationEngine.create({
    stateDir: config.stateDir,
    tls: {
      key: await readFile(config.tls.key, 'utf8'),
      cert: await readFile(config.tls.cert, 'utf8'),
      ca: await readFile(config.tls.ca, 'utf8'),
    },
    listen: config.listen,
    events,
    onSpooled: (scenarioId, path, size) => say({ type: 'spooled', scenarioId, path, size }),
  });
  for (const scenario of config.scenarios) {
    await engine.start({ scenario, self: config.self, peers: config.peers });
  }
  say({ type: 'ready', port: engine.port ?? null, pid: process.pid });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= engine.close().then(() => process.exit(0));
    return closing;
  };
  process.on('SIGTERM', () => void close());
  const lines = createInterface({ input: process.stdin });
  lines.on('close', () => void close());
  for await (const line of lines) {
    if (!line.trim()) continue;
    let command: z.infer<typeof Command>;
    try {
      command = Command.parse(JSON.parse(line));
    } catch {
      say({ type: 'error', message: `bad command: ${line.slice(0, 200)}` });
      continue;
    }
    if (command.op === 'close') await close();
    else
      say({
        type: 'stats',
        stats: engine.statistics(command.scenarioId) ?? null,
        acknowledged: engine.acknowledged(command.scenarioId),
      });
  }
}

main().catch((e: unknown) => {
  const code = e instanceof TidemarkError ? `${e.code} ` : '';
  process.stderr.write(`engine-process: ${code}${(e as Error).message}\n`);
  process.exit(1);
});
