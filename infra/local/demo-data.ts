/**
 * The demo master's sample data: a small file-server tree with text, a
 * binary file, a nested unicode-named folder and an empty file — enough to
 * see replication, a backup, and restores by session, tree and query.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Deterministic bytes, so every demo starts with the same data. */
function pseudoRandom(bytes: number, seed: string): Buffer {
  const out = Buffer.alloc(bytes);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < bytes; offset += block.length) {
    block.copy(out, offset);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export async function writeDemoData(root: string): Promise<void> {
  const files: Record<string, string | Buffer> = {
    'docs/readme.txt': 'Tidemark demo share. Change a file here and watch it reach the replica.\n',
    'docs/minutes-2026-11.txt':
      'Quarterly review\n- replication lag under a second\n- backups from the replica\n'.repeat(40),
    'reports/q3/summary.csv': `region,revenue\n${Array.from({ length: 500 }, (_, i) => `r${i},${i * 37}`).join('\n')}\n`,
    'reports/q3/chart.bin': pseudoRandom(2 * 1024 * 1024, 'chart'),
    'photos/été 2026/beach.raw': pseudoRandom(1024 * 1024, 'beach'),
    'projects/atlas/notes.md': '# Atlas\n\nKick-off notes.\n',
    'projects/atlas/empty.log': '',
  };
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(root, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}
