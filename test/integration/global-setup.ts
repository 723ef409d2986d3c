/**
 * Runs once before the suites: creates the Python environment for moto if it
 * is missing (the first run on a fresh clone installs the pinned moto), so
 * parallel suites do not race to build it.
 */
import { REPO_ROOT } from '../../infra/local/local-cloud.js';
import { ensurePythonEnv } from '../../infra/local/python-env.js';

export default async function setup() {
  await ensurePythonEnv(REPO_ROOT, (line) => console.log(`[global-setup] ${line}`));
}
