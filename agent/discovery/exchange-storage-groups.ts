/**
 * Exchange entities: one storage group per transaction-log set. A storage
 * group's logs and checkpoint share a base name `E<nn>` (`E00.chk`,
 * `E00.log`, `E0000000001.log`) in one directory, named after the group by
 * default ("First Storage Group"); its databases are the `.edb` files (and,
 * for Exchange 2003, their `.stm` streaming files) in that directory. A
 * database found away from any log set joins the only storage group when
 * there is one, else makes a storage group of its own directory.
 */
import path from 'node:path';
import type { Entity } from '../../core/scenario.js';
import { requireDirectory } from './require-directory.js';
import { filesWithExtensions } from './walk-files.js';

const LOG_BASE = /^(E[0-9A-F]{2})/i;

interface StorageGroup {
  dir: string;
  prefix: string;
  databases: string[];
}

export async function discoverExchangeStorageGroups(roots: string[]): Promise<Entity[]> {
  for (const root of roots) await requireDirectory(root);
  const files = await filesWithExtensions(roots, ['.edb', '.stm', '.log', '.chk']);
  const groups = new Map<string, StorageGroup>();
  for (const file of files) {
    const ext = path.extname(file).toLowerCase();
    const prefix = LOG_BASE.exec(path.basename(file))?.[1]?.toUpperCase();
    if ((ext === '.log' || ext === '.chk') && prefix) {
      const dir = path.dirname(file);
      const key = `${dir}\0${prefix}`;
      if (!groups.has(key)) groups.set(key, { dir, prefix, databases: [] });
    }
  }
  const all = [...groups.values()];
  for (const file of files.filter((f) => ['.edb', '.stm'].includes(path.extname(f).toLowerCase()))) {
    const dir = path.dirname(file);
    const here = all.filter((group) => group.dir === dir);
    // Two log sets in one directory cannot be told apart by path: the first (E00 before E01) takes it.
    let group = here[0];
    if (!group && here.length === 0 && groups.size === 1) group = all[0];
    if (!group) {
      const key = `${dir}\0`;
      group = groups.get(key) ?? { dir, prefix: '', databases: [] };
      if (!groups.has(key)) {
        groups.set(key, group);
        all.push(group);
      }
    }
    group.databases.push(file);
  }
  const perDir = new Map<string, number>();
  for (const group of groups.values()) perDir.set(group.dir, (perDir.get(group.dir) ?? 0) + 1);
  return [...groups.values()].map((group) => {
    const base = path.basename(group.dir) || group.dir;
    const name = (perDir.get(group.dir) ?? 0) > 1 && group.prefix ? `${base} (${group.prefix})` : base;
    const outside = group.databases.filter((db) => path.dirname(db) !== group.dir);
    return { name, kind: 'storage_group' as const, paths: [group.dir, ...outside] };
  });
}
