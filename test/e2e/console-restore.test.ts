import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from '../../infra/local/demo.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from '../integration/api-client.js';
import { treeHashes } from '../support/tree-hashes.js';
import { until } from '../support/until.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((file) => existsSync(file));
if (!CHROMIUM)
  console.warn('console-restore: no Chromium at /usr/bin/chromium; the browser tests are skipped');

interface Job {
  id: string;
  kind: string;
  status: string;
  result?: string;
  scenarios: Array<{ error?: { code: string; message: string } }>;
}

let cloud: LocalCloud;
let demo: Demo;
let browser: Browser;
let page: Page;
let work: string;
let token: string;
let call: ReturnType<typeof apiClient>;

async function finished(jobId: string): Promise<Job> {
  return until(`job ${jobId} to finish`, 120, async () => {
    const { body } = await call('GET', `/jobs/${jobId}`, { token });
    const job = body as unknown as Job;
    return job.status === 'done' ? job : undefined;
  });
}

/** Fills the restore form for an alternate folder, submits it, and returns the job id the form links to. */
async function submitRestoreTo(folder: string): Promise<string> {
  const form = page.locator('form.restore-form');
  await form.getByRole('textbox', { name: 'folder' }).fill(folder);
  await form.getByRole('button', { name: 'Submit restore job' }).click();
  const link = form.getByRole('link', { name: /^job / });
  await link.waitFor({ timeout: 15_000 });
  return ((await link.textContent()) ?? '').replace(/^job /, '').trim();
}

describe.skipIf(!CHROMIUM)('console: back up and restore from the browser', () => {
  let atBackup: Record<string, string>;

  beforeAll(async () => {
    cloud = await startLocalCloud();
    token = await cloud.mintOperatorToken('admin');
    call = apiClient(cloud.apiUrl);
    work = await mkdtemp(path.join(tmpdir(), 'tidemark-console-e2e-'));
    demo = await startDemo({
      apiUrl: cloud.apiUrl,
      token,
      directory: path.join(work, 'demo'),
      log: () => {},
    });
    await until('the demo scenario to replicate', 60, async () => {
      const { body } = await call('GET', `/scenarios/${demo.scenarioId}`, { token });
      return body.state === 'replicating' ? true : undefined;
    });
    // --no-sandbox: tests run as root here, where Chromium's sandbox refuses to start.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await cloud?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('submits a backup from the Jobs view, and the job completes', async () => {
    atBackup = await treeHashes(demo.masterData);
    await page.goto(`${cloud.apiUrl}/console/#token=${token}&/jobs`);
    await page.getByLabel('Back up scenario').selectOption(demo.scenarioId);
    await page.getByRole('button', { name: 'Submit backup' }).click();

    const submitted = await until('the backup job to be listed', 15, async () => {
      const { body } = await call('GET', '/jobs', { token });
      return (body.jobs as Job[]).find((job) => job.kind === 'backup');
    });
    const job = await finished(submitted.id);
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    // The Jobs view shows it too, once its poll comes round.
    await page.getByText(submitted.id).first().waitFor({ timeout: 15_000 });
  });

  it('restores a whole session picked in the Restore view, byte for byte', async () => {
    await page.getByRole('link', { name: 'Restore' }).click();
    await page.getByLabel('scenario').selectOption(demo.scenarioId);
    const pick = page.getByRole('button', { name: 'Restore…' });
    await pick.first().waitFor({ timeout: 15_000 });
    expect(await pick.count()).toBe(1); // one backup, one entity: one session to pick
    await pick.click();
    await expect(page.locator('form.restore-form h3').textContent()).resolves.toMatch(/session \d+ .*whole/);

    const target = path.join(work, 'whole-session');
    const job = await finished(await submitRestoreTo(target));
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    expect(await treeHashes(path.join(target, demo.masterData))).toEqual(atBackup);
  });

  it('finds a file by query and restores exactly that file', async () => {
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'By query' }).click();
    await page.getByLabel('pattern').fill('*.csv');
    await page.getByRole('button', { name: 'Search' }).click();
    const wanted = path.join(demo.masterData, 'reports/q3/summary.csv');
    await page.getByText(/1 match in \d+ sessions/).waitFor({ timeout: 15_000 });
    await page.getByRole('row', { name: wanted }).getByRole('button', { name: 'restore…' }).click();

    const target = path.join(work, 'one-file');
    const job = await finished(await submitRestoreTo(target));
    expect(job.result, JSON.stringify(job.scenarios)).toBe('completed');
    expect(await treeHashes(path.join(target, demo.masterData))).toEqual({
      'reports/q3/summary.csv': atBackup['reports/q3/summary.csv'],
    });
  });

  // Last: the rewind leaves the scenario stopped.
  it('takes a bookmark and rewinds the replica past replicated damage from the console', async () => {
    const replicaData = path.join(demo.replicaDirectory, demo.masterData);
    const ledger = path.join(demo.masterData, 'ledger.txt');
    await writeFile(ledger, 'balance: 100\n');
    await until('the ledger on the replica', 30, async () =>
      (await readFile(path.join(demo.replicaDirectory, ledger), 'utf8').catch(() => '')) === 'balance: 100\n'
        ? true
        : undefined,
    );
    const before = await treeHashes(replicaData);

    await page.getByRole('link', { name: 'Scenarios' }).click();
    await page.getByRole('link', { name: 'rewind points' }).click();
    await page.getByLabel('bookmark label').fill('before the damage');
    await page.getByRole('button', { name: 'Take bookmark' }).click();
    const row = page.getByRole('row', { name: /before the damage/ });
    await row.waitFor({ timeout: 20_000 });

    await writeFile(ledger, 'ENCRYPTED GARBAGE\n');
    await until('the damage on the replica', 30, async () =>
      (await readFile(path.join(demo.replicaDirectory, ledger), 'utf8').catch(() => '')) ===
      'ENCRYPTED GARBAGE\n'
        ? true
        : undefined,
    );
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Rewind…' }).click();
    await page.getByText(/^Rewound: \d+ changes undone/).waitFor({ timeout: 30_000 });
    expect(await treeHashes(replicaData)).toEqual(before);
  });
});
