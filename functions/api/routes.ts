/**
 * The REST API's route table: the CDK stack builds API Gateway from it and
 * the local API server routes by it, so both serve the same API. `handler`
 * is the module (from the repository root) whose `handler` export serves the
 * route; `access` is the least a caller needs, enforced by the authorizer.
 */
import type { z } from 'zod';
import { MediaCredentials, MediaCredentialsRequest } from '../../core/agent-commands.js';
import type { Access } from '../../core/principal.js';
import { CREDENTIAL_ROUTES } from './credentials/routes.js';
import { JOB_ROUTES } from './jobs/routes.js';
import { REWIND_ROUTES } from './rewind/routes.js';
import { SCENARIO_ROUTES } from './scenarios/routes.js';
import { CATALOG_ROUTES } from './sessions/catalog-routes.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route {
  method: HttpMethod;
  /** API Gateway path template: `/hosts/{hostId}`. */
  path: string;
  handler: string;
  access: Access;
  /** Lambda timeout; defaults to 10 s. Long polls need more. */
  timeoutSeconds?: number;
  /** A tighter stage throttle than the default (requests per second, burst), for routes heavy to serve. */
  throttle?: { rateLimit: number; burstLimit: number };
  /** What `/openapi.json` says of the route: the same zod schemas the handler parses with. */
  doc?: RouteDoc;
}

export interface RouteDoc {
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** The success body. */
  response?: z.ZodType;
  /** The success status; 200 unless said. */
  status?: number;
}

export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/hosts', handler: 'functions/api/hosts/enroll-host.ts', access: 'admin' },
  { method: 'GET', path: '/hosts', handler: 'functions/api/hosts/list-hosts.ts', access: 'viewer' },
  { method: 'GET', path: '/hosts/{hostId}', handler: 'functions/api/hosts/get-host.ts', access: 'viewer' },
  {
    method: 'DELETE',
    path: '/hosts/{hostId}',
    handler: 'functions/api/hosts/unenroll-host.ts',
    access: 'admin',
    doc: {
      summary: "Unenroll a host no scenario uses; its agent's credentials are revoked (409 while in use)",
    },
  },
  {
    method: 'POST',
    path: '/hosts/{hostId}/agent-token',
    handler: 'functions/api/hosts/rotate-agent-token.ts',
    access: 'admin',
    doc: {
      summary: "A new agent credential for the host, shown once; the host's earlier ones are revoked",
      status: 201,
    },
  },
  { method: 'POST', path: '/agent/heartbeat', handler: 'functions/api/agent/heartbeat.ts', access: 'agent' },
  {
    method: 'GET',
    path: '/agent/commands',
    handler: 'functions/api/agent/poll-commands.ts',
    access: 'agent',
    timeoutSeconds: 29,
  },
  {
    method: 'POST',
    path: '/agent/commands/{commandId}/result',
    handler: 'functions/api/agent/post-command-result.ts',
    access: 'agent',
  },
  {
    method: 'POST',
    path: '/agent/commands/{commandId}/heartbeat',
    handler: 'functions/api/agent/post-command-heartbeat.ts',
    access: 'agent',
  },
  {
    method: 'POST',
    path: '/agent/credentials',
    handler: 'functions/api/agent/credentials.ts',
    access: 'agent',
    doc: {
      summary:
        "Short-lived STS credentials for one scenario's repository, per purpose: backup for its replicas (no deletes), restore (read only) for an active restore job's destination (403 otherwise)",
      body: MediaCredentialsRequest,
      response: MediaCredentials,
    },
  },
  ...CREDENTIAL_ROUTES,
  ...SCENARIO_ROUTES,
  ...REWIND_ROUTES,
  ...JOB_ROUTES,
  ...CATALOG_ROUTES,
];

/** The authorizer's module, run before every route. */
export const AUTHORIZER_HANDLER = 'functions/api/authorizer.ts';
