/** What every command action gets: the resolved settings, an API client, and the printer for its result. */
import type { Command } from 'commander';
import { type ApiClient, apiClient, type Json } from './api-client.js';
import { type Column, record, table } from './output.js';
import { type GlobalOptions, resolveSettings } from './settings.js';

export interface CommandContext {
  api: ApiClient;
  json: boolean;
  /** Prints `rows` as a table, or the whole API answer with --json. */
  printList<T>(answer: Json, rows: readonly T[], columns: readonly Column<T>[]): void;
  /** Prints one record, or the whole API answer with --json. */
  printRecord(answer: Json, shown?: Record<string, unknown>): void;
  /** A line for people; nothing with --json (where `printRecord` carries the data). */
  say(line: string): void;
}

export function contextOf(command: Command): CommandContext {
  const settings = resolveSettings(command.optsWithGlobals<GlobalOptions>());
  const out = (text: string) => process.stdout.write(`${text}\n`);
  return {
    api: apiClient(settings),
    json: settings.json,
    printList(answer, rows, columns) {
      if (settings.json) out(JSON.stringify(answer, null, 2));
      else out(rows.length === 0 ? '(none)' : table(rows, columns));
    },
    printRecord(answer, shown = answer) {
      out(settings.json ? JSON.stringify(answer, null, 2) : record(shown));
    },
    say(line) {
      if (!settings.json) out(line);
    },
  };
}
