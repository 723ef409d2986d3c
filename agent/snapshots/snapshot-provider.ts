/** What the backup workflow needs from a snapshot mechanism (agent copy-on-write, or EBS on EC2 replicas). */
import type { SnapshotView } from '../backup/snapshot-view.js';

export interface SnapshotInfo {
  id: string;
  scenarioId: string;
  provider: 'cow' | 'ebs';
  createdAt: string;
  label?: string;
  /** Copy-on-write: the apply generation the snapshot freezes, and how long apply was paused to take it. */
  generation?: number;
  pauseMs?: number;
  /** EBS: the snapshot id of each volume. */
  volumes?: Array<{ volumeId: string; snapshotId: string; state?: string }>;
}

export interface SnapshotProvider {
  take(scenarioId: string, label?: string): Promise<SnapshotInfo>;
  list(scenarioId: string): Promise<SnapshotInfo[]>;
  /** A read-only view of the snapshot's tree, for the backup to read. */
  view(snapshotId: string): Promise<SnapshotView>;
  release(snapshotId: string): Promise<void>;
  /** Releases the oldest snapshots of the scenario beyond `keep`; returns the released ids. */
  prune(scenarioId: string, keep: number): Promise<string[]>;
}
