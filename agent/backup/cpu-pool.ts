/**
 * A small pool of worker threads (one per core) for the per-chunk CPU work
 * of backup and restore (cpu-worker.ts). Hand-written: it is a queue, a
 * message id and a ref count. Idle workers are unref'd so they never keep
 * the process alive; the pool is shared by every backup and restore of the
 * process and started on first use.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type CpuTask, transferable } from './cpu-tasks.js';

interface Job {
  id: number;
  task: CpuTask;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  job?: Job;
}

/** The worker script: compiled or bundled beside this module, else the TypeScript source through tsx. */
function startWorker(): Worker {
  const compiled = new URL('./cpu-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled);
  const source = new URL('./cpu-worker.ts', import.meta.url).href;
  // Node 20 does not apply `--import tsx` to a worker's entry, so the worker registers tsx itself.
  const tsx = createRequire(import.meta.url)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
  return new Worker(
    `import(${JSON.stringify(`file://${tsx}`)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); })`,
    { eval: true },
  );
}

export class CpuPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;

  constructor(readonly size = availableParallelism()) {}

  /** Runs `task` on a free worker; the task's buffers move to it (see `transferable`). */
  run<T>(task: CpuTask): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve: resolve as (value: unknown) => void, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.job);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift() as Job;
      slot.job = job;
      slot.worker.ref();
      const views = 'data' in job.task ? [job.task.data] : [];
      slot.worker.postMessage({ id: job.id, task: job.task }, transferable(views));
    }
  }

  /** Starts every worker now, so they boot while the caller prepares its first tasks. */
  warm(): void {
    while (this.slots.length < this.size) this.spawn().worker.unref();
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startWorker() };
    slot.worker.on('message', (message: { id: number; result?: unknown; error?: string; code?: string }) => {
      const job = slot.job;
      slot.job = undefined;
      slot.worker.unref();
      if (job && message.error !== undefined)
        job.reject(Object.assign(new Error(message.error), { code: message.code }));
      else job?.resolve(message.result);
      this.dispatch();
    });
    const fail = (error: Error) => {
      // A dead worker fails its job and is replaced on the next dispatch.
      this.slots.splice(this.slots.indexOf(slot), 1);
      slot.job?.reject(error);
      slot.job = undefined;
      this.dispatch();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => {
      if (this.slots.includes(slot)) fail(new Error(`CPU worker exited with code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }
}

let shared: CpuPool | undefined;

/** The process's pool. */
export function cpuPool(): CpuPool {
  shared ??= new CpuPool();
  return shared;
}
