/**
 * `npm run bench -- <name>`: runs one benchmark against its named peer and
 * prints one JSON object per measure on its last line. Benchmarks are never
 * part of `npm test`. Each lives in its own file beside this one and is
 * registered below.
 */
const BENCHMARKS: Record<string, () => Promise<void>> = {
  // replication (issue 4), backup (issue 5), query (issue 3) and workflow (issue 6) register here.
  query: () => import('./query.js').then((bench) => bench.runQueryBenchmark()),
  workflow: () => import('./workflow.js').then((bench) => bench.runWorkflowBenchmark()),
  replication: () => import('./replication.js').then((bench) => bench.runReplicationBenchmark()),
  backup: () => import('./backup.js').then((bench) => bench.runBackupBenchmark()),
  'undo-journal': () => import('./undo-journal.js').then((bench) => bench.runUndoJournalBenchmark()),
};

const name = process.argv[2];
const run = name ? BENCHMARKS[name] : undefined;
if (!run) {
  const known = Object.keys(BENCHMARKS);
  console.error(
    `usage: npm run bench -- <name>\n${name ? `unknown benchmark '${name}'. ` : ''}available: ${known.length > 0 ? known.join(', ') : 'none yet'}`,
  );
  process.exit(2);
}
await run();
