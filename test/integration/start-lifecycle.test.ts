/**
 * `npm start` as a user runs it: it prints the API URL and a token that
 * works, and Ctrl-C (SIGINT) — or even kill -9 — leaves no moto behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/local/local-cloud.js';

interface Started {
  child: ChildProcess;
  apiUrl: string;
  token: string;
  motoPort: number;
}

async function startCloud(): Promise<Started> {
  // detached: the test can signal the whole group, as a terminal's Ctrl-C does.
  const child = spawn('npx', ['tsx', 'infra/local/start.ts'], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 90_000;
  while (!output.includes('Press Ctrl-C')) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const apiUrl = /API\s+(http:\/\/\S+)/.exec(output)?.[1];
  const token = /Operator token (tmo_\S+)/.exec(output)?.[1];
  const motoPort = Number(/moto \(AWS\)\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
  if (!apiUrl || !token || !motoPort) throw new Error(`unexpected start-up output:\n${output}`);
  return { child, apiUrl, token, motoPort };
}

function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntilClosed(port: number, ms: number) {
  const deadline = Date.now() + ms;
  while (await portIsOpen(port)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

describe('npm start', () => {
  it('serves the API with the printed token and stops everything on Ctrl-C', async () => {
    const { child, apiUrl, token, motoPort } = await startCloud();
    const withToken = await fetch(`${apiUrl}/hosts`, { headers: { authorization: `Bearer ${token}` } });
    expect(withToken.status).toBe(200);
    expect((await fetch(`${apiUrl}/hosts`)).status).toBe(401);
    expect(await portIsOpen(motoPort)).toBe(true);

    const exited = new Promise<boolean>((resolve) => child.once('exit', () => resolve(true)));
    process.kill(-(child.pid as number), 'SIGINT');
    // The demo agents finish their long polls first, so the API closes a few seconds after moto.
    expect(await waitUntilClosed(motoPort, 10_000)).toBe(true);
    expect(await waitUntilClosed(Number(new URL(apiUrl).port), 30_000)).toBe(true);
    expect(await exited).toBe(true);
    await expect(fetch(`${apiUrl}/hosts`)).rejects.toThrow();
  }, 120_000);

  it('leaves no moto behind even when killed with SIGKILL', async () => {
    const { child, motoPort } = await startCloud();
    process.kill(-(child.pid as number), 'SIGKILL');
    expect(await waitUntilClosed(motoPort, 10_000)).toBe(true);
  });
});
