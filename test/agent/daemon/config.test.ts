/**
 * The agent config file: JSON and YAML load; every bad field is named with
 * the file's path; a credential file or a config holding a credential must
 * be private (0600); the credential never appears in an error or in
 * `check-config` output. Real files in a temporary directory; the CLI runs
 * as a child process.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../agent/daemon/config.js';
import { REPO_ROOT } from '../../../infra/local/local-cloud.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tm-agent-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CREDENTIAL = `tma_${'S'.repeat(43)}`;
const tls = {
  cert: path.join(dir, 'agent.crt'),
  key: path.join(dir, 'agent.key'),
  ca: path.join(dir, 'ca.crt'),
};
for (const file of Object.values(tls)) writeFileSync(file, 'pem', { mode: 0o600 });
const credentialFile = path.join(dir, 'credential');
writeFileSync(credentialFile, `${CREDENTIAL}\n`, { mode: 0o600 });

const good = {
  hostName: 'replica-1',
  apiUrl: 'https://api.example.com/prod',
  credentialFile,
  dataPort: 7070,
  tls,
  stateDirectory: '/var/lib/tidemark',
};

function write(name: string, content: string | object, mode = 0o600): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  chmodSync(file, mode);
  return file;
}

function configError(file: string): ConfigError {
  try {
    loadConfig(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('agent config', () => {
  it('loads a JSON file, reads the credential file and fills defaults', () => {
    const config = loadConfig(write('good.json', good));
    expect(config).toMatchObject({
      hostName: 'replica-1',
      dataPort: 7070,
      credential: CREDENTIAL,
      logLevel: 'info',
      heartbeatSeconds: 30,
      pollWaitSeconds: 20,
    });
  });

  it('loads the same settings from YAML with the credential inline in a 0600 file', () => {
    const yaml = [
      'hostName: replica-1',
      'apiUrl: http://127.0.0.1:8080',
      `credential: ${CREDENTIAL}`,
      'dataPort: 7070',
      'tls:',
      `  cert: ${tls.cert}`,
      `  key: ${tls.key}`,
      `  ca: ${tls.ca}`,
      'stateDirectory: /var/lib/tidemark',
      'logLevel: debug',
    ].join('\n');
    expect(loadConfig(write('good.yaml', yaml))).toMatchObject({ credential: CREDENTIAL, logLevel: 'debug' });
  });

  it('names every bad field at once, each with the file path', () => {
    const file = write('bad.json', {
      ...good,
      hostName: 'bad host!',
      apiUrl: 'ftp://x',
      dataPort: 70_000,
      tls: { ...tls, cert: path.join(dir, 'missing.crt') },
      colour: 'blue',
    });
    const error = configError(file);
    expect(error.issues.map((issue) => issue.field).sort()).toEqual([
      'apiUrl',
      'colour',
      'dataPort',
      'hostName',
    ]);
    for (const line of error.message.split('\n')) expect(line.startsWith(`${file}: `)).toBe(true);
    expect(error.message).toContain(`${file}: hostName: must be a host name`);
  });

  it('checks the TLS files exist once the fields parse', () => {
    const file = write('no-cert.json', { ...good, tls: { ...tls, cert: path.join(dir, 'missing.crt') } });
    expect(configError(file).message).toBe(
      `${file}: tls.cert: ${path.join(dir, 'missing.crt')} does not exist`,
    );
  });

  it('refuses a TLS key readable by others', () => {
    const key = path.join(dir, 'shared.key');
    writeFileSync(key, 'pem');
    chmodSync(key, 0o640);
    const file = write('shared-key.json', { ...good, tls: { ...tls, key } });
    expect(configError(file).message).toBe(
      `${file}: tls.key: ${key} has mode 0640; it must be 0600 (readable by the agent's user only)`,
    );
  });

  it('refuses a credential file readable by others, without printing the secret', () => {
    const shared = path.join(dir, 'shared-credential');
    writeFileSync(shared, CREDENTIAL);
    chmodSync(shared, 0o644);
    const error = configError(write('shared.json', { ...good, credentialFile: shared }));
    expect(error.message).toContain(`credentialFile: ${shared} has mode 0644; it must be 0600`);
    expect(error.message).not.toContain(CREDENTIAL);
  });

  it('refuses an inline credential in a world-readable config, and a malformed one without echoing it', () => {
    const open = write('open.json', { ...good, credentialFile: undefined, credential: CREDENTIAL }, 0o644);
    expect(configError(open).message).toContain('credential: the file holds a credential but has mode 0644');
    const wrong = path.join(dir, 'wrong-credential');
    writeFileSync(wrong, 'hunter2-secret', { mode: 0o600 });
    const error = configError(write('wrong.json', { ...good, credentialFile: wrong }));
    expect(error.message).toContain(`${wrong} must be an agent credential`);
    expect(error.message).not.toContain('hunter2');
  });

  it('needs exactly one of credential and credentialFile', () => {
    const both = write('both.json', { ...good, credential: CREDENTIAL });
    expect(configError(both).message).toContain(
      'credential: give exactly one of credential or credentialFile',
    );
    const none = write('none.json', { ...good, credentialFile: undefined });
    expect(configError(none).issues).toEqual([
      { field: 'credential', message: 'give exactly one of credential or credentialFile' },
    ]);
  });

  it('reports a file that is not JSON, or missing, without a stack trace', () => {
    const broken = write('broken.json', '{"hostName": ');
    expect(configError(broken).message).toMatch(new RegExp(`^${broken}: not valid JSON or YAML: `));
    expect(configError(path.join(dir, 'absent.yaml')).message).toContain('cannot read the file');
  });
});

describe('tidemark-agent check-config', () => {
  const agent = path.join(REPO_ROOT, 'agent/bin/tidemark-agent');

  it('prints OK without the credential (exit 0), and each problem with exit 2', () => {
    const ok = spawnSync(agent, ['check-config', '--config', write('cli-good.json', good)], {
      encoding: 'utf8',
    });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('OK (host replica-1, API https://api.example.com/prod, data port 7070');
    expect(ok.stdout + ok.stderr).not.toContain(CREDENTIAL);

    const badFile = write('cli-bad.json', { ...good, dataPort: 'seven' });
    const bad = spawnSync(agent, ['check-config', '--config', badFile], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(`error: ${badFile}: dataPort: Invalid input: expected number, received string\n`);
  });
});
