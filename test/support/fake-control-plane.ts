/**
 * A small loopback HTTP stand-in for the agent routes of the control plane,
 * for control-loop tests that need a command held open or a fixed queue
 * (the local cloud cannot do either on demand): it hands out `queue` one
 * command a poll, and records each poll's `running` list and every result.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Queued {
  id: string;
  kind: string;
  args: Record<string, unknown>;
}

export interface FakeControlPlane {
  url: string;
  results: Map<string, unknown>;
  runningLists: string[][];
  close(): Promise<void>;
}

export async function fakeControlPlane(queue: Queued[]): Promise<FakeControlPlane> {
  const results = new Map<string, unknown>();
  const runningLists: string[][] = [];
  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    request.on('end', () => {
      const json = (status: number, body?: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(body === undefined ? '' : JSON.stringify(body));
      };
      const url = new URL(request.url ?? '/', 'http://x');
      if (url.pathname === '/agent/heartbeat') {
        const enrolledAt = new Date().toISOString();
        return json(200, { id: 'h-1', name: 'agent-a', addresses: [], enrolledAt, enrolledBy: 'test' });
      }
      if (url.pathname === '/agent/commands') {
        const running = url.searchParams.get('running');
        runningLists.push(running ? running.split(',') : []);
        const next = queue.shift();
        if (!next) return setTimeout(() => json(204), 100);
        return json(200, { ...next, deadline: new Date(Date.now() + 60_000).toISOString() });
      }
      const result = /^\/agent\/commands\/([^/]+)\/result$/.exec(url.pathname);
      if (result) {
        results.set(result[1] as string, JSON.parse(text));
        return json(200, {});
      }
      json(200, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    results,
    runningLists,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
