/**
 * EBS snapshots for replicas that run on EC2: one `CreateSnapshots` call
 * snapshots all of the instance's volumes at the same instant
 * (crash-consistent across volumes). The snapshots of one take share a
 * `tidemark:set` tag, which is the snapshot id this provider hands out.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateSnapshotsCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  type Snapshot,
} from '@aws-sdk/client-ec2';
import { clients } from '../../core/aws-clients.js';
import type { SnapshotView } from '../backup/snapshot-view.js';
import type { SnapshotInfo, SnapshotProvider } from './snapshot-provider.js';

const SCENARIO_TAG = 'tidemark:scenario';
const SET_TAG = 'tidemark:set';
const LABEL_TAG = 'tidemark:label';

export class EbsSnapshots implements SnapshotProvider {
  constructor(
    private readonly instanceId: string,
    private readonly options: { excludeBootVolume?: boolean } = {},
  ) {}

  async take(scenarioId: string, label?: string): Promise<SnapshotInfo> {
    const id = `ebs-${randomUUID()}`;
    const tags = [
      { Key: SCENARIO_TAG, Value: scenarioId },
      { Key: SET_TAG, Value: id },
      ...(label ? [{ Key: LABEL_TAG, Value: label }] : []),
    ];
    const out = await clients.ec2().send(
      new CreateSnapshotsCommand({
        InstanceSpecification: {
          InstanceId: this.instanceId,
          ExcludeBootVolume: this.options.excludeBootVolume ?? false,
        },
        Description: `Tidemark snapshot ${id} of scenario ${scenarioId}`,
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
      }),
    );
    const volumes = (out.Snapshots ?? []).map((s) => ({
      volumeId: s.VolumeId ?? '',
      snapshotId: s.SnapshotId ?? '',
      state: s.State,
    }));
    if (volumes.length === 0) throw new Error(`instance ${this.instanceId} has no volumes to snapshot`);
    return { id, scenarioId, provider: 'ebs', createdAt: new Date().toISOString(), label, volumes };
  }

  async list(scenarioId: string): Promise<SnapshotInfo[]> {
    const snapshots = await this.describe([{ Name: `tag:${SCENARIO_TAG}`, Values: [scenarioId] }]);
    const sets = new Map<string, SnapshotInfo>();
    for (const snapshot of snapshots) {
      const id = tagOf(snapshot, SET_TAG);
      if (!id) continue;
      const info = sets.get(id) ?? {
        id,
        scenarioId,
        provider: 'ebs' as const,
        createdAt: (snapshot.StartTime ?? new Date(0)).toISOString(),
        label: tagOf(snapshot, LABEL_TAG),
        volumes: [],
      };
      info.volumes?.push({
        volumeId: snapshot.VolumeId ?? '',
        snapshotId: snapshot.SnapshotId ?? '',
        state: snapshot.State,
      });
      if (snapshot.StartTime && snapshot.StartTime.toISOString() < info.createdAt)
        info.createdAt = snapshot.StartTime.toISOString();
      sets.set(id, info);
    }
    return [...sets.values()].sort(
      (a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id),
    );
  }

  async view(snapshotId: string): Promise<SnapshotView> {
    throw new Error(
      `EBS snapshot ${snapshotId} cannot be read in place: create volumes from it, attach and mount them, then back up the mount with a DirectoryView`,
    );
  }

  async release(snapshotId: string): Promise<void> {
    const snapshots = await this.describe([{ Name: `tag:${SET_TAG}`, Values: [snapshotId] }]);
    for (const snapshot of snapshots)
      if (snapshot.SnapshotId)
        await clients.ec2().send(new DeleteSnapshotCommand({ SnapshotId: snapshot.SnapshotId }));
  }

  async prune(scenarioId: string, keep: number): Promise<string[]> {
    const all = await this.list(scenarioId);
    const doomed = all.slice(0, Math.max(0, all.length - keep)).map((s) => s.id);
    for (const id of doomed) await this.release(id);
    return doomed;
  }

  private async describe(filters: Array<{ Name: string; Values: string[] }>): Promise<Snapshot[]> {
    const out: Snapshot[] = [];
    let token: string | undefined;
    do {
      const page = await clients
        .ec2()
        .send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: filters, NextToken: token }));
      out.push(...(page.Snapshots ?? []));
      token = page.NextToken;
    } while (token);
    return out;
  }
}

function tagOf(snapshot: Snapshot, key: string): string | undefined {
  return snapshot.Tags?.find((t) => t.Key === key)?.Value;
}
