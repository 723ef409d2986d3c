/**
 * The agent's config file (JSON or YAML): who this host is, where the
 * control plane is, the agent credential, the data port, TLS material and
 * the state directory. Every bad field is reported at once, each named with
 * the file it came from, so an operator fixes the file in one pass.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HostAddress, HostName } from '../../core/host.js';
import { AbsolutePath } from '../../core/scenario.js';

const CREDENTIAL = /^tma_[A-Za-z0-9_-]{43}$/;
const credentialMessage = 'must be an agent credential (tma_ followed by 43 characters)';

const TlsFiles = z.strictObject({ cert: AbsolutePath, key: AbsolutePath, ca: AbsolutePath });

export const AgentConfigFile = z
  .strictObject({
    hostName: HostName,
    apiUrl: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }),
    /** The credential itself; then the config file must be private (0600). */
    credential: z.string().regex(CREDENTIAL, credentialMessage).optional(),
    /** Or a file holding it, private to the agent's user (0600). */
    credentialFile: AbsolutePath.optional(),
    dataPort: z.number().int().min(1).max(65_535),
    /** The local address the data listener binds (all interfaces by default). */
    listenAddress: z
      .union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' })
      .default('0.0.0.0'),
    /** Addresses peers should dial; absent means this host's non-loopback interface addresses. */
    addresses: z.array(HostAddress).min(1).max(16).optional(),
    tls: TlsFiles,
    stateDirectory: AbsolutePath,
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    heartbeatSeconds: z.number().int().min(1).max(3600).default(30),
    statisticsSeconds: z.number().int().min(1).max(3600).default(30),
    pollWaitSeconds: z.number().int().min(0).max(25).default(20),
  })
  .superRefine((config, ctx) => {
    if ((config.credential === undefined) === (config.credentialFile === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['credential'],
        message: 'give exactly one of credential or credentialFile',
      });
    }
  });
export type AgentConfigFile = z.infer<typeof AgentConfigFile>;

/** The loaded config: the file's settings with the credential resolved. */
export interface AgentConfig extends Omit<AgentConfigFile, 'credential' | 'credentialFile'> {
  credential: string;
  configPath: string;
}

export interface ConfigIssue {
  field: string;
  message: string;
}

/** A config file that cannot be used; `message` lists every problem as `<file>: <field>: <message>`. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      issues.map((issue) => `${file}: ${issue.field ? `${issue.field}: ` : ''}${issue.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Group or other permission bits: a secret readable by anyone but its owner. */
function isShared(file: string): boolean {
  return (statSync(file).mode & 0o077) !== 0;
}

function modeOf(file: string): string {
  return (statSync(file).mode & 0o777).toString(8).padStart(4, '0');
}

function parseText(file: string, text: string): unknown {
  // JSON is valid YAML, but JSON.parse gives the clearer message for .json files.
  if (file.endsWith('.json')) return JSON.parse(text);
  return parseYaml(text);
}

function readSource(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [
      { field: '', message: `cannot read the file (${(error as Error).message})` },
    ]);
  }
  try {
    return parseText(file, text);
  } catch (error) {
    throw new ConfigError(file, [
      { field: '', message: `not valid JSON or YAML: ${(error as Error).message}` },
    ]);
  }
}

function fileProblems(config: AgentConfigFile, file: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [name, tlsPath] of Object.entries(config.tls)) {
    try {
      if (!statSync(tlsPath).isFile())
        issues.push({ field: `tls.${name}`, message: `${tlsPath} is not a file` });
    } catch {
      issues.push({ field: `tls.${name}`, message: `${tlsPath} does not exist` });
    }
  }
  // The TLS key is as secret as the credential.
  if (!issues.some((issue) => issue.field === 'tls.key') && isShared(config.tls.key)) {
    issues.push({
      field: 'tls.key',
      message: `${config.tls.key} has mode ${modeOf(config.tls.key)}; it must be 0600 (readable by the agent's user only)`,
    });
  }
  if (config.credentialFile) {
    try {
      if (isShared(config.credentialFile)) {
        issues.push({
          field: 'credentialFile',
          message: `${config.credentialFile} has mode ${modeOf(config.credentialFile)}; it must be 0600 (readable by the agent's user only)`,
        });
      }
    } catch {
      issues.push({ field: 'credentialFile', message: `${config.credentialFile} does not exist` });
    }
  } else if (config.credential && isShared(file)) {
    issues.push({
      field: 'credential',
      message: `the file holds a credential but has mode ${modeOf(file)}; make it 0600 or use credentialFile`,
    });
  }
  return issues;
}

function readCredential(credentialFile: string, file: string): string {
  const credential = readFileSync(credentialFile, 'utf8').trim();
  if (!CREDENTIAL.test(credential)) {
    // Never echo the file's content: it may be a real secret in the wrong format.
    throw new ConfigError(file, [
      { field: 'credentialFile', message: `${credentialFile} ${credentialMessage}` },
    ]);
  }
  return credential;
}

/** Reads, validates and resolves a config file; throws ConfigError naming every bad field. */
export function loadConfig(configPath: string): AgentConfig {
  const file = path.resolve(configPath);
  const parsed = AgentConfigFile.safeParse(readSource(file));
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.map((issue) => ({
        // An unknown key's issue sits on the parent; name the key itself.
        field:
          issue.code === 'unrecognized_keys'
            ? [...issue.path, ...issue.keys].join('.')
            : issue.path.join('.'),
        message: issue.message,
      })),
    );
  }
  const problems = fileProblems(parsed.data, file);
  if (problems.length > 0) throw new ConfigError(file, problems);
  const { credential, credentialFile, ...settings } = parsed.data;
  return {
    ...settings,
    credential: credentialFile ? readCredential(credentialFile, file) : (credential as string),
    configPath: file,
  };
}
