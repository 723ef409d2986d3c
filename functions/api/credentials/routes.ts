/** Operator credentials: mint, list, revoke (admin). Agent credentials go with their host (routes.ts). */
import { z } from 'zod';
import { CredentialView, MintCredentialRequest } from '../../../core/credential.js';
import type { Route } from '../routes.js';

export const CREDENTIAL_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/credentials',
    handler: 'functions/api/credentials/list-credentials.ts',
    access: 'admin',
    doc: {
      summary: "Operator credentials inside the caller's host scope (ids, roles, scopes; never a secret)",
      response: z.object({ credentials: z.array(CredentialView) }),
    },
  },
  {
    method: 'POST',
    path: '/credentials',
    handler: 'functions/api/credentials/mint-credential.ts',
    access: 'admin',
    doc: {
      summary: 'Mint an operator credential; the token is shown only in this answer',
      body: MintCredentialRequest,
      response: z.object({ credential: CredentialView, token: z.string() }),
      status: 201,
    },
  },
  {
    method: 'DELETE',
    path: '/credentials/{credentialId}',
    handler: 'functions/api/credentials/revoke-credential.ts',
    access: 'admin',
    doc: {
      summary: 'Revoke an operator credential (within the 60 s authorizer cache on AWS)',
      response: z.object({ revoked: CredentialView }),
    },
  },
];
