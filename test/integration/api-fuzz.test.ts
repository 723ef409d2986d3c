/**
 * Every route of /openapi.json fuzzed by schemathesis (from PyPI, in the
 * local cloud's .venv) against the real API of the local cloud: thousands of
 * generated and boundary requests, with an agent credential for the agent
 * routes and an admin credential for the rest. Each answer must be no 5xx,
 * and every refusal JSON `{code, message}` naming the `field` of a 400
 * (test/integration/fuzz/tidemark_checks.py). The seed is fixed so a failure
 * reproduces; set TIDEMARK_FUZZ_SEED to explore others.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { ensurePythonEnv } from '../../infra/local/python-env.js';
import { apiClient } from './api-client.js';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SEED = process.env.TIDEMARK_FUZZ_SEED ?? '1';

let cloud: LocalCloud;
let work: string;
let schemathesis: string;
let schemaFile: string;
let admin: string;
let agent: string;

beforeAll(async () => {
  const { python } = await ensurePythonEnv(REPO_ROOT);
  schemathesis = path.join(path.dirname(python), 'schemathesis');
  cloud = await startLocalCloud();
  const call = apiClient(cloud.apiUrl);
  admin = await cloud.mintOperatorToken('admin');
  // Something to find: two hosts and a scenario, so not every id-taking route answers 404.
  for (const name of ['fuzz-master', 'fuzz-replica']) {
    const enrolled = await call('POST', '/hosts', { token: admin, body: { name } });
    if (name === 'fuzz-master') agent = enrolled.body.agentToken as string;
  }
  await call('POST', '/scenarios', {
    token: admin,
    body: {
      name: 'fuzz-files',
      type: 'fileserver',
      master: 'fuzz-master',
      replicas: [{ host: 'fuzz-replica', directory: '/var/tidemark/replica' }],
      roots: ['/srv/share'],
      options: { mode: 'suspend' },
    },
  });
  // Agents may not read /openapi.json, so both runs load it from a file.
  work = await mkdtemp(path.join(tmpdir(), 'tm-fuzz-'));
  schemaFile = path.join(work, 'openapi.json');
  const schema = await fetch(`${cloud.apiUrl}/openapi.json`, {
    headers: { authorization: `Bearer ${admin}` },
  });
  await writeFile(schemaFile, await schema.text());
}, 300_000);

afterAll(async () => {
  await cloud?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function fuzz(token: string, select: string[]): Promise<{ code: number; output: string }> {
  const args = [
    'run',
    schemaFile,
    '--url',
    cloud.apiUrl,
    '--header',
    `Authorization: Bearer ${token}`,
    '--checks',
    'not_a_server_error,error_names_the_problem',
    '--phases',
    'coverage,fuzzing',
    '--max-examples',
    '10',
    '--workers',
    '2',
    // GET /agent/commands long-polls for up to 25 s.
    '--request-timeout',
    '30',
    '--seed',
    SEED,
    ...select,
  ];
  const env = {
    ...process.env,
    SCHEMATHESIS_HOOKS: 'tidemark_checks',
    PYTHONPATH: path.join(REPO_ROOT, 'test', 'integration', 'fuzz'),
    NO_COLOR: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  };
  try {
    // Run in the scratch folder: schemathesis keeps a .schemathesis cache in its working directory.
    const options = { env, cwd: work, maxBuffer: 64 * 1024 * 1024, timeout: 400_000 };
    const { stdout } = await run(schemathesis, args, options);
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}\n${failed.stderr ?? ''}` };
  }
}

const summary = (output: string) => output.split('\n').slice(-80).join('\n');

describe('API fuzzing (schemathesis)', () => {
  it('agent routes with an agent credential: no 5xx, every refusal names its problem', async () => {
    const { code, output } = await fuzz(agent, ['--include-path-regex', '^/agent/']);
    console.info(`agent routes: ${/Test cases:\s+(.*)$/m.exec(output)?.[1]}`);
    expect(code, summary(output)).toBe(0);
    expect(output).toMatch(/Test cases:\s+\d+ generated, \d+ passed/);
  }, 420_000);

  it('every other route with an admin credential: no 5xx, every refusal names its problem', async () => {
    const { code, output } = await fuzz(admin, ['--exclude-path-regex', '^/agent/']);
    console.info(`operator routes: ${/Test cases:\s+(.*)$/m.exec(output)?.[1]}`);
    expect(code, summary(output)).toBe(0);
    const generated = Number(/Test cases:\s+(\d+) generated/.exec(output)?.[1] ?? 0);
    expect(generated).toBeGreaterThan(1000);
  }, 420_000);
});
