/**
 * Discovery of file server volumes, SQL Server databases and Exchange
 * storage groups on real temporary directories. Mount points are real too:
 * the CLI runs in a private mount namespace (`unshare -m`) with tmpfs
 * mounted under the root, so nothing leaks to the host's mount table.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverByType } from '../../../agent/discovery/discover-entities.js';
import { parseMountPoints } from '../../../agent/discovery/mountinfo.js';
import { REPO_ROOT } from '../../../infra/local/local-cloud.js';

const base = mkdtempSync(path.join(tmpdir(), 'tm-discovery-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function tree(name: string, files: string[]): string {
  const root = path.join(base, name);
  for (const file of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), 'x');
  }
  mkdirSync(root, { recursive: true });
  return root;
}

const AGENT = path.join(REPO_ROOT, 'agent/bin/tidemark-agent');
const canMount = spawnSync('unshare', ['-m', 'true']).status === 0;

describe('file server volumes', () => {
  it('reads mount points with escaped spaces from mountinfo', () => {
    const text = [
      '22 27 0:21 / /proc rw,relatime - proc proc rw',
      '90 27 0:50 / /srv/my\\040share rw - tmpfs none rw',
      '91 27 0:50 / /srv/my\\040share rw - tmpfs none rw',
    ].join('\n');
    expect(parseMountPoints(text)).toEqual(['/proc', '/srv/my share']);
  });

  it('is the root itself when no mount point lies under it', async () => {
    const root = tree('plain', ['a/b.txt']);
    expect(await discoverByType('fileserver', [root])).toEqual([
      { name: root, kind: 'volume', paths: [root] },
    ]);
  });

  it.skipIf(!canMount)('lists the mount points under the root (tmpfs in a private mount namespace)', () => {
    const root = tree('mounted', ['vol1/.keep', 'vol 2/.keep', 'plain-dir/.keep']);
    const script = `mount -t tmpfs none "$1/vol1" && mount -t tmpfs none "$1/vol 2" && exec "$2" discover --type fileserver --root "$1"`;
    const out = execFileSync('unshare', ['-m', 'sh', '-c', script, 'sh', root, AGENT], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([
      { name: root, kind: 'volume', paths: [root] },
      { name: `${root}/vol 2`, kind: 'volume', paths: [`${root}/vol 2`] },
      { name: `${root}/vol1`, kind: 'volume', paths: [`${root}/vol1`] },
    ]);
  });

  it('names a missing root in a clear error (CLI exit 1, no stack trace)', () => {
    const missing = path.join(base, 'nope');
    const run = spawnSync(AGENT, ['discover', '--type', 'fileserver', '--root', missing], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(`error: root ${missing} does not exist`);
  });

  it('refuses an unknown type and a relative root as usage errors (exit 2)', () => {
    const badType = spawnSync(AGENT, ['discover', '--type', 'oracle', '--root', base], { encoding: 'utf8' });
    expect(badType.status).toBe(2);
    expect(badType.stderr).toContain('oracle');
    const relative = spawnSync(AGENT, ['discover', '--type', 'sqlserver', '--root', 'data'], {
      encoding: 'utf8',
    });
    expect(relative.status).toBe(2);
    expect(relative.stderr).toContain('--root data: must be an absolute path');
  });
});

describe('SQL Server databases', () => {
  it('groups .mdf, .ndf and .ldf files into databases, across directories', async () => {
    const data = tree('mssql-data', ['Sales.mdf', 'Sales_1.ndf', 'HR_Data.MDF', 'sub/Stock.mdf']);
    const logs = tree('mssql-logs', ['Sales_log.ldf', 'HR_log.ldf', 'Stock_log.ldf', 'Orphan_log.ldf']);
    const entities = await discoverByType('sqlserver', [data, logs]);
    const byName = Object.fromEntries(entities.map((e) => [e.name, e]));
    expect(Object.keys(byName).sort()).toEqual(['HR', 'Sales', 'Stock']);
    expect(byName.Sales).toEqual({
      name: 'Sales',
      kind: 'database',
      paths: [`${data}/Sales.mdf`, `${data}/Sales_1.ndf`, `${logs}/Sales_log.ldf`],
    });
    expect(byName.HR?.paths).toEqual([`${data}/HR_Data.MDF`, `${logs}/HR_log.ldf`]);
    expect(byName.Stock?.paths).toEqual([`${data}/sub/Stock.mdf`, `${logs}/Stock_log.ldf`]);
  });

  it('tells apart two databases of the same name by directory', async () => {
    const root = tree('mssql-two', [
      'inst1/App.mdf',
      'inst1/App_log.ldf',
      'inst2/App.mdf',
      'inst2/App_log.ldf',
    ]);
    const entities = await discoverByType('sqlserver', [root]);
    expect(entities).toEqual([
      {
        name: `App (${root}/inst1)`,
        kind: 'database',
        paths: [`${root}/inst1/App.mdf`, `${root}/inst1/App_log.ldf`],
      },
      {
        name: `App (${root}/inst2)`,
        kind: 'database',
        paths: [`${root}/inst2/App.mdf`, `${root}/inst2/App_log.ldf`],
      },
    ]);
  });
});

describe('Exchange storage groups', () => {
  it('finds one storage group per log set, with its databases', async () => {
    const root = tree('exchange', [
      'First Storage Group/E00.chk',
      'First Storage Group/E00.log',
      'First Storage Group/E0000000001.log',
      'First Storage Group/Mailbox Database.edb',
      'Second Storage Group/E01.chk',
      'Second Storage Group/E01.log',
      'Second Storage Group/priv1.edb',
      'Second Storage Group/priv1.stm',
      'notes/readme.txt',
    ]);
    const entities = await discoverByType('exchange', [root]);
    expect(entities).toEqual([
      { name: 'First Storage Group', kind: 'storage_group', paths: [`${root}/First Storage Group`] },
      { name: 'Second Storage Group', kind: 'storage_group', paths: [`${root}/Second Storage Group`] },
    ]);
  });

  it('joins a database kept on another volume to the only storage group', async () => {
    const logs = tree('exch-logs', ['SG1/E02.chk', 'SG1/E02.log']);
    const dbs = tree('exch-dbs', ['db/Mailbox.edb']);
    const entities = await discoverByType('exchange', [logs, dbs]);
    expect(entities).toEqual([
      { name: 'SG1', kind: 'storage_group', paths: [`${logs}/SG1`, `${dbs}/db/Mailbox.edb`] },
    ]);
  });
});
