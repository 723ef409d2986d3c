/**
 * SQL Server entities: one database per primary data file (`.mdf`), with
 * the secondary data files (`.ndf`) and logs (`.ldf`) that share its base
 * name. SQL Server names files `<db>.mdf`, `<db>_Data.mdf`, `<db>_1.ndf`,
 * `<db>_log.ldf` (and `<db>Log.ldf` for some system databases), so the
 * suffixes are stripped before matching; logs often live on another volume,
 * so matching is by name across all roots, and by directory only to split
 * two databases of the same name (two instances).
 */
import path from 'node:path';
import type { Entity } from '../../core/scenario.js';
import { requireDirectory } from './require-directory.js';
import { filesWithExtensions } from './walk-files.js';

const SUFFIX = /(_data|_log|_\d+|_log_?\d+)$/i;
const BARE_LOG_SUFFIX = /(data|log)$/i;

function stem(file: string): string {
  return path.basename(file, path.extname(file));
}

/** The database a file belongs to, lower-cased for matching. */
function databaseKey(file: string): string {
  return stem(file).replace(SUFFIX, '').toLowerCase();
}

function looseKey(file: string): string {
  return stem(file).replace(BARE_LOG_SUFFIX, '').toLowerCase();
}

export async function discoverSqlServerDatabases(roots: string[]): Promise<Entity[]> {
  for (const root of roots) await requireDirectory(root);
  const files = await filesWithExtensions(roots, ['.mdf', '.ndf', '.ldf']);
  const primaries = files.filter((file) => path.extname(file).toLowerCase() === '.mdf');
  const others = files.filter((file) => path.extname(file).toLowerCase() !== '.mdf');
  const databases = primaries.map((file) => ({
    name: stem(file).replace(/_data$/i, ''),
    key: databaseKey(file),
    loose: looseKey(file),
    dir: path.dirname(file),
    paths: [file],
  }));
  for (const file of others) {
    const key = databaseKey(file);
    let candidates = databases.filter((db) => db.key === key);
    if (candidates.length === 0) candidates = databases.filter((db) => db.loose === looseKey(file));
    const owner = candidates.find((db) => db.dir === path.dirname(file)) ?? candidates[0];
    // A secondary file or log without its primary is not a database that can be backed up on its own.
    owner?.paths.push(file);
  }
  const counts = new Map<string, number>();
  for (const db of databases) counts.set(db.key, (counts.get(db.key) ?? 0) + 1);
  return databases.map((db) => ({
    name: (counts.get(db.key) ?? 0) > 1 ? `${db.name} (${db.dir})` : db.name,
    kind: 'database' as const,
    paths: db.paths,
  }));
}
