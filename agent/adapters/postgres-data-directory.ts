/**
 * Readies the overlay's copy of a PostgreSQL data directory for a
 * throwaway server, so that nothing it does can reach the replica, the
 * live cluster or the cluster's WAL archive:
 * - a copied `postmaster.pid` names a server that does not run here;
 * - `standby.signal`/`recovery.signal` would start a standby that dials
 *   the real primary or runs a restore command: the check is a crash
 *   recovery, as a failover would do;
 * - `pg_wal` and tablespaces may be symlinks; one into the scenario roots
 *   is pointed at the overlay's copy, one outside them is refused (the
 *   server would write into data the overlay does not own);
 * - the server refuses a data directory it does not own or that others
 *   can read, and must reach it through the overlay's private parents;
 * - Debian keeps `postgresql.conf` outside the data directory; the copy
 *   gets an empty one (the server's defaults).
 */
import { execFile } from 'node:child_process';
import { chmod, lstat, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { WritableOverlay } from './writable-overlay.js';

const run = promisify(execFile);

export interface ServerAccount {
  uid: number;
  gid: number;
  name: string;
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

/** The data directories (view paths) at or up to two levels below each root, as discovery finds them. */
export async function findDataDirectories(overlay: WritableOverlay, roots: string[]): Promise<string[]> {
  const found: string[] = [];
  const visit = async (viewDir: string, depth: number): Promise<void> => {
    const copy = overlay.pathOf(viewDir);
    if ((await exists(path.join(copy, 'PG_VERSION'))) && (await exists(path.join(copy, 'base')))) {
      found.push(viewDir);
      return;
    }
    if (depth === 2) return;
    const entries = await readdir(copy, { withFileTypes: true }).catch(() => []);
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name)))
      if (entry.isDirectory()) await visit(path.join(viewDir, entry.name), depth + 1);
  };
  for (const root of roots) await visit(root, 0);
  return found;
}

const inside = (child: string, parent: string) => child === parent || child.startsWith(`${parent}/`);

/** Points links into the scenario roots at their overlay copies; throws for a link leaving them. */
async function relink(overlay: WritableOverlay, roots: string[], viewLink: string): Promise<void> {
  const copy = overlay.pathOf(viewLink);
  if (
    !(await lstat(copy).then(
      (info) => info.isSymbolicLink(),
      () => false,
    ))
  )
    return;
  const target = path.resolve(path.dirname(viewLink), await readlink(copy));
  if (!roots.some((root) => inside(target, root)))
    throw new Error(
      `${viewLink} links to ${target}, outside the scenario's roots: add that directory to the scenario so the check can use a copy of it`,
    );
  await rm(copy);
  await symlink(overlay.pathOf(target), copy);
}

export interface PreparedDataDirectory {
  dataDir: string;
  /** What the copy lacked and the check supplied, for the report. */
  notes: string[];
}

export async function prepareDataDirectory(
  overlay: WritableOverlay,
  roots: string[],
  viewDataDir: string,
  account: ServerAccount | undefined,
): Promise<PreparedDataDirectory> {
  const dataDir = overlay.pathOf(viewDataDir);
  const notes: string[] = [];
  for (const name of ['postmaster.pid', 'standby.signal', 'recovery.signal'])
    await rm(path.join(dataDir, name), { force: true });
  // Debian keeps the configuration in /etc/postgresql: the server needs a file, and its defaults do here.
  if (!(await exists(path.join(dataDir, 'postgresql.conf')))) {
    await writeFile(path.join(dataDir, 'postgresql.conf'), '', { mode: 0o600 });
    notes.push('no postgresql.conf in the data directory: started with the defaults');
  }
  await relink(overlay, roots, path.join(viewDataDir, 'pg_wal'));
  const tablespaces = await readdir(path.join(dataDir, 'pg_tblspc')).catch(() => [] as string[]);
  for (const oid of tablespaces) await relink(overlay, roots, path.join(viewDataDir, 'pg_tblspc', oid));

  const base = path.resolve(overlay.pathOf('/'));
  const owned = [dataDir];
  for (const root of roots) if (!inside(overlay.pathOf(root), dataDir)) owned.push(overlay.pathOf(root));
  if (account) await run('chown', ['-R', `${account.uid}:${account.gid}`, ...owned], { timeout: 60_000 });
  await chmod(dataDir, 0o700);
  // The server runs as another user when the agent is root: let it pass through the overlay's parents.
  for (const dir of owned)
    for (let parent = path.dirname(dir); inside(parent, base); parent = path.dirname(parent)) {
      await chmod(parent, 0o711);
      if (parent === base) break;
    }
  return { dataDir, notes };
}
