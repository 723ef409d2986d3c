/**
 * `npm start`: the local cloud on this machine plus a demo — a master and a
 * replica agent replicating sample data (infra/local/demo.ts). Prints the
 * API URL and a fresh admin token, writes them to .tidemark/profile.json
 * for the CLI, and runs until Ctrl-C, when it stops every service it
 * started. moto keeps its state in memory, so each start begins with an
 * empty deployment. `TIDEMARK_DEMO=0` starts the local cloud alone.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEMO_SCENARIO, type Demo, startDemo } from './demo.js';
import { REPO_ROOT, startLocalCloud } from './local-cloud.js';

// This machine runs Node 20 on purpose (the Lambda runtime is newer); the SDK's reminder is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

const log = (line: string) => console.log(`[tidemark] ${line}`);

async function main() {
  log('starting the local cloud…');
  const started = Date.now();
  const cloud = await startLocalCloud({
    apiPort: process.env.TIDEMARK_API_PORT ? Number(process.env.TIDEMARK_API_PORT) : undefined,
    log,
  });
  const token = await cloud.mintOperatorToken('admin');

  const profileDir = path.join(REPO_ROOT, '.tidemark');
  await mkdir(profileDir, { recursive: true });
  const profile = path.join(profileDir, 'profile.json');
  await writeFile(profile, `${JSON.stringify({ apiUrl: cloud.apiUrl, token }, null, 2)}\n`, { mode: 0o600 });
  await chmod(profile, 0o600);

  let demo: Demo | undefined;
  if (process.env.TIDEMARK_DEMO !== '0') {
    log('starting the demo agents…');
    demo = await startDemo({ apiUrl: cloud.apiUrl, token, directory: path.join(profileDir, 'demo'), log });
  }

  const restoreTo = path.join(profileDir, 'restored');
  console.log(`
Tidemark local cloud is up (${((Date.now() - started) / 1000).toFixed(1)} s).

  API            ${cloud.apiUrl}
  Console        ${cloud.apiUrl}/console/#token=${token}
  Operator token ${token}   (role admin; also in .tidemark/profile.json)
  Step Functions ${cloud.sfnUrl}
  moto (AWS)     ${cloud.motoUrl}
${
  demo
    ? `
Demo: scenario ${DEMO_SCENARIO} replicates ${path.relative(process.cwd(), demo.masterData)} (host demo-master)
      to ${path.relative(process.cwd(), demo.replicaDirectory)} (host demo-replica). In another terminal:

  ./bin/tidemark scenarios list
  ./bin/tidemark backup ${DEMO_SCENARIO}                      # suspend, snapshot, resume, back up the replica
  ./bin/tidemark jobs list                                  # wait for status done, result completed
  ./bin/tidemark sessions list --scenario ${DEMO_SCENARIO}
  ./bin/tidemark restore query '*.txt' --scenario ${DEMO_SCENARIO}
  ./bin/tidemark restore start ${DEMO_SCENARIO} --session <number> --host demo-replica --to ${restoreTo}
  diff -r ${path.relative(process.cwd(), demo.masterData)} ${path.relative(process.cwd(), restoreTo)}${demo.masterData}
`
    : `
  curl -s ${cloud.apiUrl}/hosts -H "Authorization: Bearer ${token}"
`
}
Press Ctrl-C to stop everything.`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping…`);
    await demo?.stop();
    await cloud.stop();
    log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`[tidemark] could not start the local cloud: ${(error as Error).message}`);
  process.exit(1);
});
