/**
 * A small certificate authority for agent-to-agent replication: one CA per
 * deployment, one certificate per host whose common name is the host name.
 * It drives the Debian `openssl` binary (EC P-256 keys, quick to make), so
 * no key material passes through our own crypto code.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HostName } from '../../core/host.js';

const run = promisify(execFile);

export interface TlsMaterial {
  /** PEM of this host's private key. */
  key: string;
  /** PEM of this host's certificate. */
  cert: string;
  /** PEM of the CA that signs every agent certificate. */
  ca: string;
}

export interface CertificateAuthority {
  key: string;
  cert: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

/** Makes a new CA in `dir` (ca.key stays there with mode 0600). */
export async function createCertificateAuthority(
  dir: string,
  name = 'Tidemark agents CA',
): Promise<CertificateAuthority> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  await openssl(
    [...'req -x509 -new -key ca.key -sha256 -days 3650 -out ca.pem -subj'.split(' '), `/CN=${name}`],
    dir,
  );
  return {
    key: await readFile(join(dir, 'ca.key'), 'utf8'),
    cert: await readFile(join(dir, 'ca.pem'), 'utf8'),
  };
}

/** Issues a certificate for `host`, usable both to serve and to dial (mutual TLS). */
export async function issueHostCertificate(
  ca: CertificateAuthority,
  host: string,
  dir: string,
): Promise<TlsMaterial> {
  const name = HostName.safeParse(host);
  if (!name.success) throw new Error(`cannot issue a certificate for '${host}': not a host name`);
  const work = join(dir, `.issue-${host}-${process.pid}`);
  await mkdir(work, { recursive: true, mode: 0o700 });
  try {
    await writeFile(join(work, 'ca.key'), ca.key, { mode: 0o600 });
    await writeFile(join(work, 'ca.pem'), ca.cert);
    await writeFile(
      join(work, 'ext.cnf'),
      `subjectAltName=DNS:${host}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature\n`,
    );
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'host.key'], work);
    await openssl(['req', '-new', '-key', 'host.key', '-subj', `/CN=${host}`, '-out', 'host.csr'], work);
    const sign =
      'x509 -req -in host.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 -sha256 -extfile ext.cnf -out host.pem';
    await openssl(sign.split(' '), work);
    return {
      key: await readFile(join(work, 'host.key'), 'utf8'),
      cert: await readFile(join(work, 'host.pem'), 'utf8'),
      ca: ca.cert,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
