/**
 * Where the CLI finds the API and its credential: flags first, then the
 * environment (TIDEMARK_API_URL, TIDEMARK_TOKEN), then a profile file —
 * `--profile`, TIDEMARK_PROFILE, or the `.tidemark/profile.json` that
 * `npm start` writes, looked up from the current directory upwards.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CliError } from './cli-error.js';

export interface Settings {
  apiUrl: string;
  token: string;
  json: boolean;
}

export interface GlobalOptions {
  apiUrl?: string;
  token?: string;
  profile?: string;
  json?: boolean;
}

const Profile = z.object({ apiUrl: z.url(), token: z.string().min(1) }).partial();

function findProfile(start: string): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.tidemark', 'profile.json');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function readProfile(file: string): z.infer<typeof Profile> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(
      'BadRequest',
      `cannot read the profile ${file}: ${(error as NodeJS.ErrnoException).code}`,
      2,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError('BadRequest', `the profile ${file} is not JSON`, 2);
  }
  const result = Profile.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new CliError('BadRequest', `the profile ${file}: ${issue?.path.join('.')}: ${issue?.message}`, 2);
  }
  return result.data;
}

export function resolveSettings(options: GlobalOptions, env = process.env, cwd = process.cwd()): Settings {
  const profileFile = options.profile ?? env.TIDEMARK_PROFILE ?? findProfile(cwd);
  const profile = profileFile ? readProfile(profileFile) : {};
  const apiUrl = options.apiUrl ?? env.TIDEMARK_API_URL ?? profile.apiUrl;
  const token = options.token ?? env.TIDEMARK_TOKEN ?? profile.token;
  if (!apiUrl) {
    throw new CliError(
      'BadRequest',
      'no API URL: pass --api-url, set TIDEMARK_API_URL, or run `npm start` (it writes .tidemark/profile.json)',
      2,
    );
  }
  if (!token) {
    throw new CliError(
      'Unauthorized',
      'no operator token: pass --token, set TIDEMARK_TOKEN, or use a profile',
      2,
    );
  }
  return { apiUrl: apiUrl.replace(/\/+$/, ''), token, json: options.json === true };
}
