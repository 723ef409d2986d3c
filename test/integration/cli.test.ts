/**
 * The `tidemark` CLI as an operator runs it: the real bin script in a child
 * process, against the local cloud over HTTP. Checks its tables, `--json`,
 * and that every failure is one `error <code>: …` line with its exit code.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { runTidemark } from '../support/run-tidemark.js';

let cloud: LocalCloud;
let admin: string;
let viewer: string;

beforeAll(async () => {
  cloud = await startLocalCloud();
  admin = await cloud.mintOperatorToken('admin');
  viewer = await cloud.mintOperatorToken('viewer');
});
afterAll(async () => {
  await cloud?.stop();
});

const tidemark = runTidemark;

const as = (token: string) => ({ TIDEMARK_API_URL: cloud.apiUrl, TIDEMARK_TOKEN: token });

describe('tidemark CLI', () => {
  it('enrolls a host, then lists it as a table and as JSON', async () => {
    const enrolled = await tidemark(['hosts', 'enroll', 'cli-host-1', '--address', '10.1.2.3'], as(admin));
    expect(enrolled.stderr).toBe('');
    expect(enrolled.code).toBe(0);
    expect(enrolled.stdout).toMatch(/^name:\s+cli-host-1$/m);
    expect(enrolled.stdout).toMatch(/^agentToken:\s+tma_/m);

    const listed = await tidemark(['hosts', 'list'], as(viewer));
    expect(listed.code).toBe(0);
    const [header, ...rows] = listed.stdout.trim().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+ADDRESSES/);
    expect(rows.some((row) => /\scli-host-1\s+10\.1\.2\.3/.test(row))).toBe(true);

    const json = await tidemark(['--json', 'hosts', 'list'], as(viewer));
    expect(json.code).toBe(0);
    const answer = JSON.parse(json.stdout) as { hosts: Array<{ name: string }> };
    expect(answer.hosts.map((h) => h.name)).toContain('cli-host-1');
  });

  it('reads the API and token from a profile file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tidemark-cli-'));
    const profile = path.join(dir, 'profile.json');
    await writeFile(profile, JSON.stringify({ apiUrl: cloud.apiUrl, token: viewer }), { mode: 0o600 });
    const listed = await tidemark(['--profile', profile, 'hosts', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+NAME/);
  });

  it('exits 1 with the API code and the field for a refused request', async () => {
    const bad = await tidemark(['hosts', 'enroll', 'not a host name!'], as(admin));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^error BadRequest: .+\(field: name\)\n$/);

    const forbidden = await tidemark(['hosts', 'enroll', 'cli-host-2'], as(viewer));
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/^error Forbidden: /);

    const unauthorized = await tidemark(['hosts', 'list'], as('tmo_not-a-real-token'));
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toMatch(/^error Unauthorized: /);
  });

  it('exits 2 for bad usage or missing configuration, and 3 when the API is unreachable', async () => {
    const usage = await tidemark(['scenarios', 'create', 'x', '--retention', 'ten'], as(admin));
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--retention <n>.+'ten' is not a whole number/);

    const unconfigured = await tidemark(['hosts', 'list']);
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.stderr).toMatch(/^error BadRequest: no API URL/);

    const unreachable = await tidemark(['hosts', 'list'], {
      TIDEMARK_API_URL: 'http://127.0.0.1:9',
      TIDEMARK_TOKEN: admin,
    });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/^error Unreachable: cannot reach the API at http:\/\/127\.0\.0\.1:9/);
  });

  it('creates a scenario, schedules a backup, holds it, and shows the catalog views', async () => {
    for (const name of ['cli-master', 'cli-replica']) {
      expect((await tidemark(['hosts', 'enroll', name], as(admin))).code).toBe(0);
    }
    const unknownMaster = await tidemark(
      [
        'scenarios',
        'create',
        'cli-bad',
        '--type',
        'fileserver',
        '--master',
        'nobody',
        '--replica',
        'cli-replica:/replica',
        '--root',
        '/data',
      ],
      as(admin),
    );
    expect(unknownMaster.code).toBe(1);
    expect(unknownMaster.stderr).toMatch(/^error AE0467: .*nobody/);

    const created = await tidemark(
      [
        'scenarios',
        'create',
        'cli-files',
        '--type',
        'fileserver',
        '--master',
        'cli-master',
        '--replica',
        'cli-replica:/replica',
        '--root',
        '/data',
        '--mode',
        'suspend',
        '--retention',
        '3',
      ],
      as(admin),
    );
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/^state:\s+stopped$/m);
    const listed = await tidemark(['scenarios', 'list'], as(viewer));
    expect(listed.stdout).toMatch(/\scli-files\s+fileserver\s+stopped\s+cli-master\s+cli-replica\s+suspend/);

    const scheduled = await tidemark(
      ['--json', 'backup', 'cli-files', '--cron', 'cron(0 2 * * ? *)'],
      as(admin),
    );
    expect(scheduled.stderr).toBe('');
    const job = JSON.parse(scheduled.stdout) as { id: string; status: string };
    expect(job.status).toBe('ready');
    const held = await tidemark(['jobs', 'hold', job.id], as(admin));
    expect(held.stdout).toMatch(/^status:\s+hold$/m);
    const queue = await tidemark(['jobs', 'list', '--status', 'hold'], as(viewer));
    expect(queue.stdout).toContain(job.id);
    const again = await tidemark(['jobs', 'hold', job.id], as(admin));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error Conflict: .*hold/);

    const badCron = await tidemark(['backup', 'cli-files', '--cron', 'cron(every day)'], as(admin));
    expect(badCron.code).toBe(1);
    expect(badCron.stderr).toMatch(/^error BadRequest: .*cron.*\(field: schedule/);

    const query = await tidemark(['restore', 'query', '*.txt', '--scenario', 'cli-files'], as(viewer));
    expect(query.code).toBe(0);
    expect(query.stdout).toMatch(/^0 match\(es\) in 0 session\(s\)/m);
    const events = await tidemark(['events', 'cli-files'], as(viewer));
    expect(events.stdout.trim()).toBe('(none)');
    const report = await tidemark(['report', 'scenario', 'cli-files'], as(viewer));
    expect(JSON.parse(report.stdout)).toMatchObject({ name: 'cli-files', state: 'stopped' });
  });

  it('mints, lists and revokes an operator credential; rotates and unenrolls a host by name', async () => {
    const created = await tidemark(['credentials', 'create', 'cli-auditor', '--role', 'viewer'], as(admin));
    expect(created.code).toBe(0);
    const token = /^token:\s+(tmo_\S+)$/m.exec(created.stdout)?.[1] as string;
    const id = /^id:\s+([0-9a-f]{64})$/m.exec(created.stdout)?.[1] as string;
    expect(token).toBeTruthy();
    expect((await tidemark(['hosts', 'list'], as(token))).code).toBe(0);
    const listed = await tidemark(['credentials', 'list'], as(admin));
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+operator:cli-auditor\\s+viewer\\s+all`, 'm'));
    expect(listed.stdout).not.toContain(token);
    const revoked = await tidemark(['credentials', 'revoke', id], as(admin));
    expect(revoked.code).toBe(0);
    const refused = await tidemark(['hosts', 'list'], as(token));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error Unauthorized: /);

    const enrolled = await tidemark(['hosts', 'enroll', 'cli-rotating'], as(admin));
    const oldToken = /^agentToken:\s+(tma_\S+)$/m.exec(enrolled.stdout)?.[1] as string;
    const rotated = await tidemark(['hosts', 'rotate-token', 'cli-rotating'], as(admin));
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/^agentToken:\s+tma_/m);
    expect(rotated.stdout).not.toContain(oldToken);
    const unenrolled = await tidemark(['hosts', 'unenroll', 'cli-rotating'], as(admin));
    expect(unenrolled.code).toBe(0);
    expect(unenrolled.stdout).toMatch(/^unenrolled:\s+cli-rotating$/m);
    const missing = await tidemark(['hosts', 'unenroll', 'cli-rotating'], as(admin));
    expect(missing).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error NotFound: no enrolled host is named cli-rotating/),
    });
  });
});
