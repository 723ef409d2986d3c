/**
 * The PostgreSQL check of assured recovery: for each data directory in the
 * scenario roots (or up to two levels below, as discovery finds them, e.g.
 * /var/lib/postgresql/15/main), a throwaway server starts on the overlay's
 * copy (crash recovery replays the WAL, as a failover would), answers
 * `SELECT 1`, and in every database that accepts connections reads every
 * user table to its end (`count(*)` scans each heap page, so an unreadable
 * page fails the check); then it shuts down. The caller discards the overlay, so nothing the server wrote
 * survives. A check that runs and finds a problem is `passed: false` with
 * the server's own words; every wait is bounded.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ApplicationCheck, CheckInput, CheckResult } from './application-check.js';
import { findDataDirectories, prepareDataDirectory, type ServerAccount } from './postgres-data-directory.js';
import { startThrowawayServer, type ThrowawayServer } from './postgres-throwaway-server.js';

const run = promisify(execFile);
/** Crash recovery of a busy cluster's WAL can take a while; a data directory that cannot start fails at once. */
const STARTUP_MS = 120_000;

/** Every user table with its row count, read by a full scan: `name|rows` lines (partitions, not their parents). */
const TABLE_ROWS = `SELECT format('%I.%I', n.nspname, c.relname),
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM ONLY %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1`;

/** The account the server runs as when the agent is root (the server refuses root). */
async function serverAccount(): Promise<ServerAccount | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
  try {
    return { name: 'postgres', uid: await id('-u'), gid: await id('-g') };
  } catch {
    throw new Error(
      'there is no postgres account on this host to run the server as (it refuses to run as root)',
    );
  }
}

async function checkDatabases(server: ThrowawayServer): Promise<string[]> {
  if ((await server.query('postgres', 'SELECT 1')) !== '1') throw new Error('SELECT 1 did not answer 1');
  const lines = ['SELECT 1 answered'];
  const databases = (
    await server.query('postgres', 'SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1')
  )
    .split('\n')
    .filter((name) => name && name !== 'template1');
  for (const database of databases) {
    const tables = (await server.query(database, TABLE_ROWS))
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const cut = line.lastIndexOf('|');
        return { name: line.slice(0, cut), rows: Number(line.slice(cut + 1)) };
      });
    const rows = tables.reduce((sum, table) => sum + table.rows, 0);
    const named = tables.slice(0, 20).map((table) => `${table.name} ${table.rows}`);
    if (tables.length > named.length) named.push(`and ${tables.length - named.length} more`);
    lines.push(
      `database ${database}: ${tables.length} tables, ${rows} rows read${named.length ? ` (${named.join(', ')})` : ''}`,
    );
  }
  return lines;
}

/** One data directory: prepare its copy, start a server on it, read it, stop the server. */
async function checkDataDirectory(
  { overlay, roots, signal }: CheckInput,
  viewDataDir: string,
  account: ServerAccount | undefined,
): Promise<CheckResult> {
  const major = (await readFile(path.join(overlay.pathOf(viewDataDir), 'PG_VERSION'), 'utf8')).trim();
  const label = `PostgreSQL ${major} on ${viewDataDir}`;
  const bin = `/usr/lib/postgresql/${major}/bin`;
  if (
    !(await stat(path.join(bin, 'postgres')).then(
      () => true,
      () => false,
    ))
  )
    return {
      passed: false,
      report: [`${label}: no server binaries at ${bin} (install the postgresql-${major} package)`],
    };
  let server: ThrowawayServer | undefined;
  try {
    const { dataDir, notes } = await prepareDataDirectory(overlay, roots, viewDataDir, account);
    server = await startThrowawayServer({ bin, dataDir, account, startupMs: STARTUP_MS, signal });
    const lines = await checkDatabases(server);
    return {
      passed: true,
      report: [`${label}: a throwaway server started on the overlay`, ...notes, ...lines],
    };
  } catch (error) {
    // The step's deadline passed: that is the step's failure, not the data's. Its reason says why; a
    // client tool killed by the abort only says "The operation was aborted".
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : error;
    // The server names overlay paths; the operator knows the replica's.
    const message = (error as Error).message.split(path.resolve(overlay.pathOf('/'))).join('');
    return { passed: false, report: [`${label}: ${message}`] };
  } finally {
    await server?.stop();
  }
}

export const postgresCheck: ApplicationCheck = async (input) => {
  const dataDirs = await findDataDirectories(input.overlay, input.roots);
  if (dataDirs.length === 0)
    return {
      passed: false,
      report: [
        'PostgreSQL: no data directory (PG_VERSION and base/) in the scenario roots or two levels below',
      ],
    };
  let account: ServerAccount | undefined;
  try {
    account = await serverAccount();
  } catch (error) {
    return { passed: false, report: [`PostgreSQL: ${(error as Error).message}`] };
  }
  const results: CheckResult[] = [];
  for (const dataDir of dataDirs) results.push(await checkDataDirectory(input, dataDir, account));
  return {
    passed: results.every((result) => result.passed),
    report: results.flatMap((result) => result.report),
  };
};
