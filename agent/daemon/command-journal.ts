/**
 * The commands this agent has received and not yet answered, kept on disk
 * so that a kill -9 or a crash mid-command is not silent: at the next start
 * each one left here gets its outcome (failed, AE0474) at once, instead of
 * its workflow step waiting out its timeout, and the scratch paths it noted
 * (a restore's staging folders) are removed first, so nothing half written
 * lingers beside the operator's files.
 *
 * One record per command, `<id>.json` (written durably at receipt, before
 * the command runs); its scratch paths in `<id>.scratch`, one per line,
 * durable before the first byte is written under them. Both go once the
 * outcome was delivered. Scratch paths are staging names only (staging.ts),
 * so clean-up cannot remove anything else.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { type AgentCommand, CommandKind } from '../../core/command.js';
import { writeFileAtomic } from '../replication/atomic-file.js';
import { isStagingName } from '../restore/staging.js';
import { scenarioLabel } from './command-args.js';

/** What a record keeps: enough to answer the command and name it, never its arguments (they hold secrets). */
const JournalRecord = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
  kind: CommandKind,
  deadline: z.string(),
  receivedAt: z.string(),
  /** In the form `scenarioLabel` reads back: `scenarioName`, `scenarioId`. */
  label: z.object({ scenarioName: z.string().optional(), scenarioId: z.string().optional() }),
});

export interface InterruptedCommand {
  /** As much of the command as a failure result needs (the arguments only as the scenario's label). */
  command: AgentCommand;
  receivedAt: string;
  scratch: string[];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class CommandJournal {
  /** The directory, made once (not on every command); a failed attempt is tried again next time. */
  #made?: Promise<unknown>;

  constructor(private readonly directory: string) {}

  get #ready(): Promise<unknown> {
    this.#made ??= mkdir(this.directory, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      this.#made = undefined;
      throw error;
    });
    return this.#made;
  }

  /** Notes a received command, durably, before it runs. */
  async record(command: AgentCommand): Promise<void> {
    await this.#ready;
    const label = scenarioLabel(command.args);
    const record: z.infer<typeof JournalRecord> = {
      id: command.id,
      kind: command.kind,
      deadline: command.deadline,
      receivedAt: new Date().toISOString(),
      label: { scenarioName: label.scenario, scenarioId: label.scenarioId },
    };
    await writeFileAtomic(this.#file(command.id, 'json'), `${JSON.stringify(record)}\n`);
  }

  /** Paths to remove if the agent dies before `commandId` is answered; durable when this returns. */
  async noteScratch(commandId: string, paths: readonly string[]): Promise<void> {
    await this.#ready;
    // Clean-up removes them whole: only staging names, so that no bug can point it at the operator's files.
    const refused = paths.find((p) => !path.isAbsolute(p) || p.includes('\n') || !isStagingName(p));
    if (refused !== undefined) throw new Error(`${refused} is not an absolute staging path`);
    await writeFileAtomic(this.#file(commandId, 'scratch'), paths.map((p) => `${p}\n`).join(''));
  }

  /** Forgets a command once its outcome was delivered (or given up on). */
  async settle(commandId: string): Promise<void> {
    await rm(this.#file(commandId, 'scratch'), { force: true });
    await rm(this.#file(commandId, 'json'), { force: true });
  }

  /** The commands a previous run of the agent received and never answered. */
  async interrupted(): Promise<InterruptedCommand[]> {
    await this.#ready;
    const names = await readdir(this.directory);
    const found: InterruptedCommand[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const text = await readFile(path.join(this.directory, name), 'utf8');
      const parsed = JournalRecord.safeParse(parseJson(text));
      // A torn or foreign file answers nothing; it is dropped so it cannot block every start.
      if (!parsed.success) {
        await rm(path.join(this.directory, name), { force: true });
        await rm(path.join(this.directory, name.replace(/\.json$/, '.scratch')), { force: true });
        continue;
      }
      const { id, kind, deadline, receivedAt, label } = parsed.data;
      const scratch = await readFile(this.#file(id, 'scratch'), 'utf8').then(
        (list) => list.split('\n').filter((line) => path.isAbsolute(line) && isStagingName(line)),
        () => [],
      );
      found.push({ command: { id, kind, deadline, args: label }, receivedAt, scratch });
    }
    return found;
  }

  #file(commandId: string, extension: 'json' | 'scratch'): string {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(commandId)) throw new Error(`unexpected command id '${commandId}'`);
    return path.join(this.directory, `${commandId}.${extension}`);
  }
}
