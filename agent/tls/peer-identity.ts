/**
 * Mutual TLS between agents: both ends present a certificate signed by the
 * deployment's CA, and each end checks that the other's common name is the
 * host the scenario names — an agent acts only for its own host.
 */
import type { ConnectionOptions, TLSSocket, TlsOptions } from 'node:tls';
import type { TlsMaterial } from './certificates.js';

export function serverOptions(tls: TlsMaterial): TlsOptions {
  return {
    key: tls.key,
    cert: tls.cert,
    ca: tls.ca,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
  };
}

/** Dials `address` expecting the peer to prove it is `host`. */
export function clientOptions(
  tls: TlsMaterial,
  host: string,
  address: string,
  port: number,
): ConnectionOptions {
  return {
    host: address,
    port,
    key: tls.key,
    cert: tls.cert,
    ca: tls.ca,
    servername: host,
    minVersion: 'TLSv1.3',
    rejectUnauthorized: true,
    checkServerIdentity: (_name, cert) =>
      cert.subject?.CN === host
        ? undefined
        : new Error(`peer presented a certificate for '${cert.subject?.CN}', expected '${host}'`),
  };
}

/** The host name an authorized peer proved, or undefined. */
export function peerHostOf(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return typeof cn === 'string' ? cn : undefined;
}
