/**
 * The Python virtual environment that holds moto and schemathesis. Created on first use from
 * the pinned requirements, re-created when they change, and left alone
 * otherwise, so later runs need no network.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PythonEnv {
  python: string;
}

export async function ensurePythonEnv(
  root: string,
  log: (line: string) => void = () => {},
): Promise<PythonEnv> {
  const venv = path.join(root, '.venv');
  const python = path.join(venv, 'bin', 'python');
  const requirementsFile = path.join(root, 'infra', 'local', 'requirements.txt');
  const requirements = await readFile(requirementsFile, 'utf8');
  const wanted = createHash('sha256').update(requirements).digest('hex');
  const marker = path.join(venv, '.tidemark-requirements');

  if (existsSync(python) && existsSync(marker) && (await readFile(marker, 'utf8')) === wanted) {
    return { python };
  }

  await withLock(path.join(root, '.venv.lock'), async () => {
    // Another process may have finished the install while we waited for the lock.
    if (existsSync(marker) && (await readFile(marker, 'utf8')) === wanted) return;
    log('creating the Python environment for moto in .venv (first run only, about a minute)…');
    await rm(venv, { recursive: true, force: true });
    const basePython = process.env.TIDEMARK_PYTHON ?? 'python3';
    await run(basePython, ['-m', 'venv', venv]);
    await run(
      python,
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirementsFile],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    await writeFile(marker, wanted);
    log('Python environment ready.');
  });
  return { python };
}

/** A directory used as a lock: mkdir is atomic. Stale locks (older than 10 minutes) are broken. */
async function withLock(lockDir: string, work: () => Promise<void>): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() - started > 10 * 60_000) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    await work();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}
