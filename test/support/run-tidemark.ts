/** Runs the real `bin/tidemark` in a child process, as an operator would, never with the developer's own profile. */
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../infra/local/local-cloud.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runTidemark(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      path.join(REPO_ROOT, 'bin', 'tidemark'),
      args,
      { cwd: tmpdir(), env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env } },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
