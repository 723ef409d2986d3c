/** EBS snapshots against moto's EC2 over HTTP: an instance with two extra volumes, snapshotted across all volumes at once. */
import { AttachVolumeCommand, CreateVolumeCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EbsSnapshots } from '../../../agent/snapshots/ebs-snapshots.js';
import { clients } from '../../../core/aws-clients.js';
import { startTestCloud, type TestCloud } from '../backup/cloud.js';

let cloud: TestCloud;
let instanceId: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  const run = await clients.ec2().send(
    new RunInstancesCommand({
      ImageId: 'ami-12c6146b',
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.micro',
    }),
  );
  const instance = run.Instances?.[0];
  instanceId = instance?.InstanceId ?? '';
  const zone = instance?.Placement?.AvailabilityZone ?? 'us-east-1a';
  for (const device of ['/dev/sdf', '/dev/sdg']) {
    const volume = await clients.ec2().send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 10 }));
    await clients
      .ec2()
      .send(new AttachVolumeCommand({ InstanceId: instanceId, VolumeId: volume.VolumeId, Device: device }));
  }
});
afterAll(async () => {
  await cloud?.moto.stop();
});

describe('EBS snapshots', () => {
  it('snapshot every volume of the instance together, list, prune to keep N and release', async () => {
    const provider = new EbsSnapshots(instanceId);
    const first = await provider.take('scn-ec2', 'nightly');
    expect(first.volumes?.length).toBe(3); // the root volume and the two data volumes
    expect(new Set(first.volumes?.map((v) => v.volumeId)).size).toBe(3);
    const second = await provider.take('scn-ec2');
    await provider.take('other-scenario');

    const listed = await provider.list('scn-ec2');
    expect(listed.map((s) => s.id).sort()).toEqual([first.id, second.id].sort());
    expect(listed.find((s) => s.id === first.id)?.label).toBe('nightly');
    expect(listed.every((s) => s.volumes?.length === 3)).toBe(true);

    const released = await provider.prune('scn-ec2', 1);
    expect(released).toHaveLength(1);
    const left = await provider.list('scn-ec2');
    expect(left).toHaveLength(1);
    await provider.release(left[0]?.id ?? '');
    expect(await provider.list('scn-ec2')).toEqual([]);
    expect(await provider.list('other-scenario')).toHaveLength(1);
    await expect(provider.view(first.id)).rejects.toThrow(/cannot be read in place/);
  });
});
