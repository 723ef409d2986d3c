/** What an assured-recovery adapter gets and gives: the snapshot, its writable overlay, and a pass/fail report. */
import type { SnapshotView } from '../backup/snapshot-view.js';
import type { WritableOverlay } from './writable-overlay.js';

export interface CheckInput {
  view: SnapshotView;
  overlay: WritableOverlay;
  /** The replica paths (view paths) of the scenario's roots. */
  roots: string[];
  signal: AbortSignal;
  /**
   * The master's checksums of files nothing touched since it sent them, by
   * view path (agent/replication/master-checksums.ts); undefined when the
   * workflow did not ask the master for them.
   */
  master?: Map<string, { size: number; digest: Buffer }>;
}

export interface CheckResult {
  passed: boolean;
  report: string[];
}

export type ApplicationCheck = (input: CheckInput) => Promise<CheckResult>;
