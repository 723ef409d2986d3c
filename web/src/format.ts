/** How the console writes numbers, times and errors. Pure, so the unit tests cover it. */
import type { ChildJob, Job } from '../../core/job.js';
import { ApiError } from './api/client.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

/** `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago`; `never` when absent. */
export function formatAge(iso: string | undefined, now: number): string {
  if (!iso) return 'never';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '—';
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/** `2026-05-01 12:03:04` in UTC: the same text whatever the browser's zone. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** An error as the operator reads it: `code: message`, with the field when the API named one. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    return `${error.code}: ${error.message}${error.field ? ` (field ${error.field})` : ''}`;
  }
  return `Error: ${(error as Error)?.message ?? String(error)}`;
}

/** A job's status with its result when done: `active`, `done (completed)`. */
export function jobStatusText(job: Pick<Job, 'status' | 'result'>): string {
  return job.result ? `${job.status} (${job.result})` : job.status;
}

/** One scenario's outcome inside a job: `web-1: done failed AE0465 scenario is stopped`. */
export function childOutcomeText(child: ChildJob): string {
  const status = child.result ? `${child.status} ${child.result}` : child.status;
  const error = child.error ? ` — ${child.error.code}: ${child.error.message}` : '';
  return `${child.scenarioName}: ${status}${error}`;
}

/** `/srv/a` and `/srv/b` → `/srv/a, /srv/b`, shortened past a few. */
export function formatPaths(paths: readonly string[], max = 3): string {
  if (paths.length <= max) return paths.join(', ');
  return `${paths.slice(0, max).join(', ')} and ${paths.length - max} more`;
}

/** The parent of an absolute path: `/srv/a` → `/srv`, `/srv` → `/`. */
export function parentPath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const cut = trimmed.lastIndexOf('/');
  return cut <= 0 ? '/' : trimmed.slice(0, cut);
}
