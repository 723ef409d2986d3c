/**
 * File server entities: one volume per mount point under each root, and
 * the root itself (so the files beside the sub-mounts belong to an entity
 * too); a root with no mount points under it is one volume.
 */
import type { Entity } from '../../core/scenario.js';
import { readMountPoints } from './mountinfo.js';
import { requireDirectory } from './require-directory.js';

function isUnder(candidate: string, root: string): boolean {
  return root === '/' ? candidate !== '/' : candidate.startsWith(`${root}/`);
}

export async function discoverVolumes(roots: string[], mountinfoFile?: string): Promise<Entity[]> {
  const mountPoints = await readMountPoints(mountinfoFile);
  const entities: Entity[] = [];
  const seen = new Set<string>();
  const add = (mountPath: string) => {
    if (seen.has(mountPath)) return;
    seen.add(mountPath);
    entities.push({ name: mountPath, kind: 'volume', paths: [mountPath] });
  };
  for (const raw of roots) {
    const root = raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
    await requireDirectory(root);
    add(root);
    for (const point of mountPoints.filter((p) => isUnder(p, root)).sort()) add(point);
  }
  return entities;
}
