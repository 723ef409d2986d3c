/**
 * The replica's apply path calls these before it changes bytes on disk, so
 * that copy-on-write snapshots (agent/snapshots) and the undo journal
 * (agent/replication) can keep what is about to be overwritten. Paths are
 * absolute paths on the replica. A hook that throws stops the apply of that
 * record: nothing is changed, and the record is retried.
 */
export interface ReplicaWriteHook {
  /** `length` bytes at `offset` of an existing file are about to be overwritten (0 for an append: the file is about to grow). */
  beforeOverwrite(path: string, offset: number, length: number): Promise<void>;
  /** An existing file is about to be truncated to `newSize` (smaller than now, or larger: it is about to grow). */
  beforeTruncate(path: string, newSize: number): Promise<void>;
  /** A file, symlink or directory is about to leave its name: removed (directories empty by then), replaced by a rename onto it, or renamed away (directories with their tree). */
  beforeRemove(path: string): Promise<void>;
  /** Mode, owner or times of an existing entry are about to change. */
  beforeAttributes(path: string): Promise<void>;
}

/** Pauses the replica's apply between records: taking a snapshot holds it for as long as recording a generation takes. */
export interface ApplyGate {
  /** Resolves once no record is being applied; apply waits until `release` is called. */
  pause(scenarioId: string): Promise<{ release(): void }>;
}
