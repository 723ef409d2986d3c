/**
 * Mount points from /proc/self/mountinfo (proc(5)): the fifth field, with
 * the kernel's octal escapes (`\040` for a space) undone.
 */
import { readFile } from 'node:fs/promises';

function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

export function parseMountPoints(mountinfo: string): string[] {
  const points = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field) points.add(unescapeMountField(field));
  }
  return [...points];
}

export async function readMountPoints(file = '/proc/self/mountinfo'): Promise<string[]> {
  return parseMountPoints(await readFile(file, 'utf8'));
}
