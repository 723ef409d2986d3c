/**
 * The replication engine behind `ReplicationRuntime`: one instance per
 * agent serves every scenario on the host, as master for some and replica
 * for others. Each scenario keeps its own spool, signatures, applied
 * sequence and undo journal under `<stateDir>/scenarios/<id>/`.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { RewindOutput, SendChecksumsOutput } from '../../core/agent-commands.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import { replicaDirectoryRefusal, type Scenario } from '../../core/scenario.js';
import { ContainedTree } from '../fs/contained-tree.js';
import { isNoSpace } from '../fs/no-space.js';
import type { ApplyGate, ReplicaWriteHook } from '../replica-write-hooks.js';
import type {
  AgentEvents,
  ReplicationRuntime,
  RewindPoint,
  RewindPointEvent,
  RootStatistics,
  ScenarioAssignment,
  ScenarioStatistics,
} from '../scenario-runtime.js';
import type { TlsMaterial } from '../tls/certificates.js';
import { peerHostOf, serverOptions } from '../tls/peer-identity.js';
import { Applier } from './applier.js';
import { BandwidthLimit } from './bandwidth.js';
import { Capture } from './capture.js';
import { Hello, messageOf } from './control-messages.js';
import { REPLICATION_EVENTS, type ReplicationEventId } from './events.js';
import { encodeFrame, FrameReader, FrameType } from './frames.js';
import type { FileChecksum } from './master-checksums.js';
import { MasterFiles } from './master-files.js';
import { MasterWatch } from './master-watch.js';
import { serveMaster } from './replica-session.js';
import { Sender } from './sender.js';
import { SignatureStore } from './signature-store.js';
import { Spool, type SpoolWriteError } from './spool.js';
import { type SyncStatistics, synchronize } from './sync-master.js';
import { UndoJournal } from './undo-journal.js';

export interface ReplicationEngineOptions {
  stateDir: string;
  tls: TlsMaterial;
  /** The data port replicas listen on (port 0 picks a free one). */
  listen?: { host: string; port: number };
  events: AgentEvents;
  hooks?: ReplicaWriteHook[];
  /** Told each master file state (path, size) once it is durable in every spool; the crash tests and the lag benchmark use it. */
  onSpooled?: (scenarioId: string, path: string, size: number) => void;
}

interface MasterSide {
  scenario: Scenario;
  capture: Capture;
  files: MasterFiles;
  links: {
    host: string;
    spool: Spool;
    sigs: SignatureStore;
    sender: Sender;
    needsSync: boolean;
    /** A spool write failed and none has succeeded since (one alert per spell). */
    writeFailing: boolean;
  }[];
  stats: Map<string, RootStatistics>;
  syncing: boolean;
  lastSync?: SyncStatistics;
  overflowing: boolean;
}

interface ReplicaSide {
  scenario: Scenario;
  applier: Applier;
  undo: UndoJournal;
  suspended: boolean;
  holds: number;
  busy: number;
  waiters: (() => void)[];
  socket?: TLSSocket;
  directory: string;
  flagFile: string;
  /** Set after a rewind: the replica no longer matches what the master's spool assumes. */
  needsSyncFlag: boolean;
  /** Applying failed on a full or failing disk and nothing was acknowledged since (one alert per spell). */
  applyFailing?: boolean;
  /** Takes the automatic rewind points (scenario option rewindIntervalMinutes). */
  pointTimer?: NodeJS.Timeout;
  /** The is-alive check of the master (scenario options masterCheckSeconds, masterCheckMisses). */
  watch: MasterWatch;
}

/** Beside the undo journal: the replica folder its paths are relative to. */
const TARGET_FILE = 'target-directory';

/** Errors of the disk rather than of the record: the record is sound and the master resends it. */
const DISK_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS']);

export class ReplicationEngine implements ReplicationRuntime, ApplyGate {
  private readonly masters = new Map<string, MasterSide>();
  private readonly replicas = new Map<string, ReplicaSide>();
  private server: Server | undefined;

  private constructor(private readonly o: ReplicationEngineOptions) {}

  static async create(o: ReplicationEngineOptions): Promise<ReplicationEngine> {
    const engine = new ReplicationEngine(o);
    await mkdir(o.stateDir, { recursive: true, mode: 0o700 });
    if (o.listen) await engine.listen(o.listen.host, o.listen.port);
    return engine;
  }

  /** The data port actually bound. */
  get port(): number | undefined {
    const a = this.server?.address();
    return typeof a === 'object' && a ? a.port : undefined;
  }

  private emit(scenarioId: string, eventId: ReplicationEventId, detail?: string): void {
    const e = REPLICATION_EVENTS[eventId];
    this.o.events.event({
      scenarioId,
      eventId,
      severity: e.severity,
      text: detail ? `${e.text}: ${detail}` : e.text,
      at: new Date().toISOString(),
    });
  }

  private dirOf(scenarioId: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(scenarioId))
      throw new TidemarkError('AE0468', `bad scenario id '${scenarioId}'`);
    return join(this.o.stateDir, 'scenarios', scenarioId);
  }

  async start(a: ScenarioAssignment): Promise<void> {
    const s = a.scenario;
    if (a.self === s.master) await this.startMaster(a);
    const replica = s.replicas.find((r) => r.host === a.self);
    if (replica) await this.startReplica(s, replica.directory);
    if (a.self !== s.master && !replica) {
      throw new TidemarkError('AE0468', `host ${a.self} is neither master nor replica of scenario ${s.name}`);
    }
    this.emit(s.id, 'SR00100');
  }

  private async startMaster(a: ScenarioAssignment): Promise<void> {
    const s = a.scenario;
    const existing = this.masters.get(s.id);
    if (existing && existing.scenario.version === s.version) return;
    if (existing) await this.stopMaster(s.id);
    const stats = new Map(
      s.roots.map((root) => [root, { root, created: 0, changed: 0, removed: 0, renamed: 0, bytesSent: 0 }]),
    );
    // Refuse before anything is opened, so a bad assignment leaves no file handle behind.
    for (const r of s.replicas) {
      if (!a.peers.some((p) => p.host === r.host))
        throw new TidemarkError('AE0467', `no address for replica host ${r.host} of scenario ${s.name}`);
    }
    // A root that does not exist (yet) fails the start here, as the watcher would.
    const files = await MasterFiles.open(s.roots);
    const channels: { host: string; spool: Spool; sigs: SignatureStore }[] = [];
    for (const r of s.replicas) {
      const base = join(this.dirOf(s.id), 'master', r.host);
      const spool = await Spool.open(join(base, 'spool'));
      const sigs = new SignatureStore(join(base, 'signatures'));
      await sigs.open();
      channels.push({ host: r.host, spool, sigs });
    }
    const capture = new Capture(
      s.roots,
      files,
      channels,
      stats,
      () => this.checkOverflow(side),
      (e) => this.emit(s.id, 'SR00170', e.message),
      (path, size) => this.o.onSpooled?.(s.id, path, size),
    );
    const side: MasterSide = {
      scenario: s,
      capture,
      files,
      links: [],
      stats,
      syncing: false,
      overflowing: false,
    };
    await side.capture.start();
    const bandwidth = new BandwidthLimit(s.options.bandwidth);
    for (const c of channels) {
      const peer = a.peers.find((p) => p.host === c.host);
      if (!peer)
        throw new TidemarkError('AE0467', `no address for replica host ${c.host} of scenario ${s.name}`);
      const link = { ...c, needsSync: true, writeFailing: false } as MasterSide['links'][number];
      const firstRoot = () => stats.get(s.roots[0] as string);
      link.sender = new Sender({
        scenarioId: s.id,
        replicaHost: c.host,
        address: peer.address,
        port: peer.port,
        tls: this.o.tls,
        spool: c.spool,
        bandwidth,
        needsSync: () => link.needsSync,
        synchronize: async (syncPeer, why) => {
          const release = await side.capture.pause();
          side.syncing = true;
          this.emit(s.id, 'SR00110', `${s.options.syncMode} mode (${why})`);
          try {
            const entries = (await Promise.all(s.roots.map((r) => files.walk(r)))).flat();
            side.capture.setIndex(entries);
            const resumeSeq = c.spool.nextSeq;
            const result = await synchronize(s.options.syncMode, entries, s.roots, syncPeer, c.sigs, files);
            side.lastSync = result;
            link.needsSync = false;
            this.emit(
              s.id,
              'SR00111',
              `${result.filesCompared} files compared, ${result.bytesSent} bytes sent in ${result.durationMs} ms`,
            );
            return { resumeSeq, stats: result };
          } finally {
            side.syncing = false;
            release();
          }
        },
        onConnected: () => this.emit(s.id, 'SR00104', c.host),
        onLost: (reason) => {
          this.emit(s.id, 'SR00130', `${c.host}: ${reason}`);
          this.o.events.alert(s.id, 'lost_connection', `lost connection to replica ${c.host}: ${reason}`);
        },
        onCaughtUp: () => this.emit(s.id, 'SR00131', c.host),
        onRefused: (m) => this.emit(s.id, 'SR00160', m),
        pingSeconds: s.options.masterCheckSeconds,
        onBytesSent: (n) => {
          const st = firstRoot();
          if (st) st.bytesSent += n;
        },
      });
      side.links.push(link);
      c.spool.on('write-failed', (f: SpoolWriteError) => void this.onSpoolWriteFailed(side, link, f));
      c.spool.on('durable', () => {
        if (!link.writeFailing) return;
        link.writeFailing = false;
        this.emit(s.id, 'SR00142', c.host);
      });
    }
    this.masters.set(s.id, side);
    for (const l of side.links) l.sender.start();
  }

  /** Past the threshold the spool is dropped and the replica resynchronizes what differs. */
  private async checkOverflow(side: MasterSide): Promise<void> {
    for (const link of side.links) {
      if (link.spool.sizeBytes <= side.scenario.options.spoolThresholdBytes || side.overflowing) continue;
      side.overflowing = true;
      try {
        const s = side.scenario;
        this.emit(s.id, 'SR00140', `${link.spool.sizeBytes} bytes held for ${link.host}`);
        this.o.events.alert(s.id, 'queue_overflow', `spool for replica ${link.host} passed its threshold`);
        link.needsSync = true;
        await link.spool.discardAll();
        link.sender.reset();
      } finally {
        side.overflowing = false;
      }
    }
  }

  /**
   * A spool write failed (the disk is full, or failing): the refused records
   * leave a gap in the replica's sequence that only a synchronization fills,
   * so the link drops and the next connection synchronizes before anything
   * spooled after the gap is sent. Appends resume at once; while the disk
   * stays full each one fails the same way, with one alert per spell.
   */
  private async onSpoolWriteFailed(side: MasterSide, link: MasterSide['links'][number], f: SpoolWriteError) {
    const s = side.scenario;
    link.needsSync = true;
    link.sender.reset();
    if (!link.writeFailing) {
      link.writeFailing = true;
      this.emit(s.id, 'SR00141', `${link.host}: ${f.message}; the replica resynchronizes`);
      this.o.events.alert(
        s.id,
        isNoSpace(f) ? 'disk_full' : 'significant_info',
        `spool for replica ${link.host} on the master could not be written (${f.code ?? f.cause.message}); ` +
          'changes go on being captured and the replica resynchronizes once it can',
      );
    }
    await link.spool.resume();
  }

  private async startReplica(s: Scenario, directory: string): Promise<void> {
    const existing = this.replicas.get(s.id);
    if (existing) {
      existing.scenario = s;
      return;
    }
    const dir = join(this.dirOf(s.id), 'replica');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, TARGET_FILE), directory, { mode: 0o600 });
    const undo = await this.openUndo(s);
    const applier = new Applier({
      roots: s.roots,
      directory,
      stateDir: dir,
      hooks: this.o.hooks ?? [],
      undo,
    });
    await applier.open();
    this.replicas.set(s.id, {
      scenario: s,
      applier,
      undo,
      suspended: false,
      holds: 0,
      busy: 0,
      waiters: [],
      directory,
      flagFile: join(dir, 'needs-sync'),
      needsSyncFlag: await stat(join(dir, 'needs-sync')).then(
        () => true,
        () => false,
      ),
      pointTimer: this.scheduleRewindPoints(s),
      watch: this.watchMaster(s),
    });
    this.o.events.rewindPoints(s.id, undo.listPoints());
  }

  private watchMaster(s: Scenario): MasterWatch {
    const watch = new MasterWatch({
      intervalSeconds: s.options.masterCheckSeconds,
      misses: s.options.masterCheckMisses,
      held: () => {
        const side = this.replicas.get(s.id);
        return side !== undefined && (side.suspended || side.holds > 0);
      },
      onLost: (silent) => {
        const text = `nothing heard from master ${s.master} for ${silent} s (${s.options.masterCheckMisses} checks of ${s.options.masterCheckSeconds} s)`;
        this.emit(s.id, 'SR00180', text);
        this.o.events.alert(s.id, 'master_lost', `scenario ${s.name}: ${text}`);
      },
      onBack: () => this.emit(s.id, 'SR00181', s.master),
    });
    watch.start();
    return watch;
  }

  private async openUndo(s: Scenario): Promise<UndoJournal> {
    const undo = new UndoJournal(join(this.dirOf(s.id), 'replica', 'undo'), s.id, {
      maxBytes: s.options.rewindJournalBytes,
      onDropped: (points) => {
        const text = `${points.length} rewind point(s) fell off the undo journal (oldest now ${undo.listPoints()[0]?.createdAt ?? 'none'}); raise rewindJournalBytes to keep more`;
        this.emit(s.id, 'SR00152', text);
        this.o.events.alert(s.id, 'rewind_points_dropped', `scenario ${s.name}: ${text}`);
        this.o.events.rewindPoints(s.id, undo.listPoints());
      },
    });
    await undo.open();
    return undo;
  }

  /**
   * Every rewindIntervalMinutes a point, unless nothing changed since the
   * last one (it would be the same state). The first comes one interval
   * after the start, so a new scenario's first synchronization is not journaled.
   */
  private scheduleRewindPoints(s: Scenario): NodeJS.Timeout | undefined {
    const minutes = s.options.rewindIntervalMinutes;
    if (minutes <= 0) return undefined;
    const timer = setInterval(() => {
      const side = this.replicas.get(s.id);
      if (!side || (side.undo.active && !side.undo.changedSinceLastPoint)) return;
      this.createRewindPoint(s.id, 'scheduled').catch((e: Error) => this.emit(s.id, 'SR00153', e.message));
    }, minutes * 60_000);
    timer.unref();
    return timer;
  }

  private async listen(host: string, port: number): Promise<void> {
    const server = createServer(serverOptions(this.o.tls), (socket) => this.accept(socket));
    server.on('tlsClientError', () => undefined); // a peer without a valid certificate never gets past the handshake
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    this.server = server;
  }

  private accept(socket: TLSSocket): void {
    const reader = new FrameReader();
    const refuse = (code: string, message: string, scenarioId?: string) => {
      if (scenarioId) this.emit(scenarioId, 'SR00160', message);
      socket.end(encodeFrame(FrameType.error, { code, message }));
    };
    const timer = setTimeout(() => socket.destroy(), 10_000);
    const onData = (chunk: Buffer) => {
      let frames: ReturnType<FrameReader['push']>;
      try {
        frames = reader.push(chunk);
      } catch (e) {
        clearTimeout(timer);
        return refuse('AE0468', (e as Error).message);
      }
      const [hello, ...rest] = frames;
      if (!hello) return;
      clearTimeout(timer);
      socket.off('data', onData);
      if (hello.type !== FrameType.hello) return refuse('AE0468', 'the first frame must be a hello');
      let scenarioId: string;
      try {
        ({ scenarioId } = messageOf(hello, Hello));
      } catch (e) {
        return refuse('AE0468', (e as Error).message);
      }
      const side = this.replicas.get(scenarioId);
      if (!side) return refuse('AE0463', `scenario ${scenarioId} is not started on this replica`);
      const peer = peerHostOf(socket);
      if (peer !== side.scenario.master) {
        return refuse(
          'AE0468',
          `certificate for '${peer}' is not the master (${side.scenario.master}) of scenario ${side.scenario.name}`,
          scenarioId,
        );
      }
      side.socket?.destroy();
      side.socket = socket;
      this.emit(scenarioId, 'SR00105', `${peer}, applied up to ${side.applier.appliedSeq}`);
      serveMaster(
        socket,
        {
          applier: side.applier,
          directory: side.directory,
          roots: side.scenario.roots,
          gate: () => this.gateOpen(side),
          busy: (on) => {
            side.busy += on ? 1 : -1;
            if (side.busy === 0) this.wakeAll(side);
          },
          needsSync: () => side.needsSyncFlag === true,
          synced: async () => {
            side.needsSyncFlag = false;
            await rm(side.flagFile, { force: true });
          },
          onError: (e) => this.onApplyError(side, e),
          heard: () => side.watch.heard(),
          acked: () => {
            if (!side.applyFailing) return;
            side.applyFailing = false;
            this.emit(scenarioId, 'SR00131', `${peer}: applying again`);
          },
        },
        rest,
      );
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  }

  private onApplyError(side: ReplicaSide, e: Error): void {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const id = side.scenario.id;
    if (!DISK_ERRORS.has(code)) {
      this.emit(id, 'SR00160', e.message);
      return;
    }
    if (side.applyFailing) return;
    side.applyFailing = true;
    this.emit(id, 'SR00143', e.message);
    this.o.events.alert(
      id,
      isNoSpace(e) ? 'disk_full' : 'significant_info',
      `replica could not apply changes (${code}): ${e.message}; the master holds them in its spool and resends them`,
    );
  }

  private wakeAll(side: ReplicaSide): void {
    for (const w of side.waiters.splice(0)) w();
  }

  private async gateOpen(side: ReplicaSide): Promise<void> {
    while (side.suspended || side.holds > 0) await new Promise<void>((r) => side.waiters.push(r));
  }

  /** ApplyGate: resolves once no record is being applied; apply waits until release. */
  async pause(scenarioId: string): Promise<{ release(): void }> {
    const side = this.replicaOf(scenarioId);
    side.holds++;
    while (side.busy > 0) await new Promise<void>((r) => side.waiters.push(r));
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        side.holds--;
        this.wakeAll(side);
      },
    };
  }

  private replicaOf(scenarioId: string): ReplicaSide {
    const side = this.replicas.get(scenarioId);
    if (!side) throw new TidemarkError('AE0463', `scenario ${scenarioId} has no replica on this host`, 409);
    return side;
  }

  async suspend(scenarioId: string): Promise<void> {
    const side = this.replicaOf(scenarioId);
    side.suspended = true;
    while (side.busy > 0) await new Promise<void>((r) => side.waiters.push(r));
    this.emit(scenarioId, 'SR00120');
  }

  async resume(scenarioId: string): Promise<void> {
    const side = this.replicaOf(scenarioId);
    side.suspended = false;
    this.wakeAll(side);
    this.emit(scenarioId, 'SR00121');
  }

  async createRewindPoint(scenarioId: string, event: RewindPointEvent, label?: string): Promise<RewindPoint> {
    const side = this.replicaOf(scenarioId);
    const gate = await this.pause(scenarioId);
    try {
      const point = await side.undo.createPoint(event, label);
      this.emit(scenarioId, 'SR00150', `${point.id} (${event}${label ? `: ${label}` : ''})`);
      this.o.events.rewindPoints(scenarioId, side.undo.listPoints());
      return point;
    } finally {
      gate.release();
    }
  }

  /**
   * Stops the scenario here, then rolls the replica back. The replica then
   * differs from the master, so the next start synchronizes (the master's
   * newer data flows again unless the master is first resynchronized from here).
   */
  async rewind(scenario: Scenario, directory: string, rewindPointId: string): Promise<RewindOutput> {
    // The journal's paths are relative to the folder they were recorded in: never played into another.
    const recordedIn = await readFile(join(this.dirOf(scenario.id), 'replica', TARGET_FILE), 'utf8').catch(
      () => undefined,
    );
    if (recordedIn !== undefined && recordedIn !== directory)
      throw new TidemarkError(
        'AE0468',
        `the undo journal of scenario ${scenario.name} was recorded in ${recordedIn}, not in ${directory}; nothing was rolled back`,
      );
    const refusal = replicaDirectoryRefusal(directory);
    if (refusal) throw new TidemarkError('AE0468', `replica directory refused: ${refusal}`);
    if (this.replicas.has(scenario.id) || this.masters.has(scenario.id)) await this.stop(scenario.id);
    const undo = await this.openUndo(scenario);
    const tree = await ContainedTree.open(directory);
    try {
      if (!undo.listPoints().some((p) => p.id === rewindPointId))
        throw new TidemarkError(
          'AE0475',
          `rewind point ${rewindPointId} is not in the replica's undo journal of scenario ${scenario.name} (it fell off, or was rewound past)`,
        );
      const dir = join(this.dirOf(scenario.id), 'replica');
      await writeFile(join(dir, 'needs-sync'), '1');
      const report = await undo.rewind(rewindPointId, tree);
      this.emit(
        scenario.id,
        'SR00151',
        `${rewindPointId}: ${report.entriesUndone} changes undone on ${report.pathsChanged} paths`,
      );
      this.o.events.rewindPoints(scenario.id, undo.listPoints());
      return report;
    } finally {
      tree.close();
      await undo.close();
    }
  }

  statistics(scenarioId: string): ScenarioStatistics | undefined {
    const m = this.masters.get(scenarioId);
    if (m) {
      const spoolBytes = m.links.reduce((n, l) => n + l.spool.sizeBytes, 0);
      return {
        scenarioId,
        state: m.syncing ? 'synchronizing' : 'replicating',
        roots: [...m.stats.values()].map((r) => ({ ...r })),
        spoolBytes,
        spoolThresholdPercent: Math.round((spoolBytes / m.scenario.options.spoolThresholdBytes) * 1000) / 10,
        lastSync: m.lastSync,
      };
    }
    const r = this.replicas.get(scenarioId);
    if (!r) return undefined;
    return {
      scenarioId,
      state: r.suspended ? 'suspended' : 'replicating',
      roots: [],
      spoolBytes: 0,
      spoolThresholdPercent: 0,
    };
  }

  /**
   * Master: sends every replica the master's checksums of its files
   * (master-checksums.ts). Answers, per replica host, the sequence number a
   * replica must have applied to hold them all.
   */
  async sendMasterChecksums(scenarioId: string): Promise<SendChecksumsOutput> {
    const m = this.masters.get(scenarioId);
    if (!m) throw new TidemarkError('AE0463', `scenario ${scenarioId} has no master on this host`, 409);
    // Mid-synchronization the signatures do not yet describe the replica.
    const syncing = m.links.filter((l) => l.needsSync).map((l) => l.host);
    if (m.syncing || syncing.length > 0)
      throw new TidemarkError(
        'AE0465',
        `scenario ${m.scenario.name} is synchronizing${syncing.length ? ` (${syncing.join(', ')})` : ''}; the master's checksums would not describe the replica yet`,
        409,
      );
    const { files, skipped, lastSeq } = await m.capture.appendChecksums();
    return {
      files,
      skipped,
      throughSeq: Object.fromEntries(m.links.map((l, i) => [l.host, lastSeq[i] ?? 0])),
    };
  }

  /** Replica: the sequence number applied so far. */
  appliedSeq(scenarioId: string): number {
    return this.replicaOf(scenarioId).applier.appliedSeq;
  }

  /** Replica: the master's checksums held and still valid, by master path; the ledger starts afresh. */
  takeMasterChecksums(scenarioId: string): { receivedThrough: number; checksums: Map<string, FileChecksum> } {
    const ledger = this.replicaOf(scenarioId).applier.masterChecksums;
    const receivedThrough = ledger.receivedThrough;
    return { receivedThrough, checksums: ledger.take() };
  }

  /** Resolves when every change seen so far is durable in the spools (tests and benchmarks use it). */
  async captureIdle(scenarioId: string): Promise<void> {
    await this.masters.get(scenarioId)?.capture.idle();
  }

  /** The sequence numbers a replica acknowledged, per replica host. */
  acknowledged(scenarioId: string): Record<string, { acked: number; next: number }> {
    const m = this.masters.get(scenarioId);
    return Object.fromEntries(
      (m?.links ?? []).map((l) => [l.host, { acked: l.sender.acked, next: l.spool.nextSeq }]),
    );
  }

  private async stopMaster(id: string): Promise<void> {
    const m = this.masters.get(id);
    if (!m) return;
    this.masters.delete(id);
    await m.capture.close();
    for (const l of m.links) {
      await l.sender.stop();
      await l.spool.close();
      await l.sigs.close();
    }
    m.files.close();
  }

  async stop(scenarioId: string): Promise<void> {
    await this.stopMaster(scenarioId);
    const r = this.replicas.get(scenarioId);
    if (r) {
      this.replicas.delete(scenarioId);
      clearInterval(r.pointTimer);
      r.watch.stop();
      r.socket?.destroy();
      await r.applier.close();
      await r.undo.close();
    }
    this.emit(scenarioId, 'SR00101');
  }

  async close(): Promise<void> {
    for (const id of [...this.masters.keys(), ...this.replicas.keys()]) await this.stop(id);
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
