/** GET /openapi.json over HTTP: every route of the table with its method, documented bodies present, no anonymous access. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/api/routes.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { apiClient } from './api-client.js';

let cloud: LocalCloud;
let call: ReturnType<typeof apiClient>;
let viewer: string;

beforeAll(async () => {
  cloud = await startLocalCloud();
  call = apiClient(cloud.apiUrl);
  viewer = await cloud.mintOperatorToken('viewer');
});
afterAll(async () => {
  await cloud?.stop();
});

type BodySchema = {
  type?: string;
  properties?: Record<string, unknown>;
  oneOf?: BodySchema[];
  anyOf?: BodySchema[];
};

type Operation = {
  summary: string;
  'x-tidemark-access': string;
  parameters?: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: {
    content: { 'application/json': { schema: { type?: string; properties?: Record<string, unknown> } } };
  };
  responses: Record<string, unknown>;
};

describe('OpenAPI document', () => {
  it('lists every route with its method, access, parameters and documented schemas', async () => {
    const response = await call('GET', '/openapi.json', { token: viewer });
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    const paths = response.body.paths as Record<string, Record<string, Operation>>;
    for (const route of ROUTES) {
      const operation = paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation?.['x-tidemark-access']).toBe(route.access);
      for (const [, name] of route.path.matchAll(/\{([^}]+)\}/g)) {
        expect(operation?.parameters).toContainEqual(
          expect.objectContaining({ name, in: 'path', required: true }),
        );
      }
      if (route.doc?.body) {
        // An object, or a union of objects (a discriminated union such as POST /jobs).
        const schema = operation?.requestBody?.content['application/json'].schema as BodySchema | undefined;
        const variants = schema?.oneOf ?? schema?.anyOf ?? (schema ? [schema] : []);
        expect(variants.length, `${route.method} ${route.path} body`).toBeGreaterThan(0);
        for (const variant of variants) {
          expect(variant.type).toBe('object');
          expect(Object.keys(variant.properties ?? {}).length).toBeGreaterThan(0);
        }
      }
      if (route.doc?.summary) expect(operation?.summary).toBe(route.doc.summary);
      expect(Object.keys(operation?.responses ?? {})).toContain(String(route.doc?.status ?? 200));
    }
    const postEvents = paths['/agent/events']?.post;
    expect(Object.keys(postEvents?.requestBody?.content['application/json'].schema.properties ?? {})).toEqual(
      ['events', 'alerts'],
    );
    const query = paths['/restore/query']?.get?.parameters?.find((p) => p.name === 'pattern');
    expect(query).toMatchObject({ in: 'query', required: true });
  });

  it('answers 401 without a credential and 403 to an agent', async () => {
    expect((await call('GET', '/openapi.json')).status).toBe(401);
    const enrolled = await call('POST', '/hosts', {
      token: await cloud.mintOperatorToken('admin'),
      body: { name: 'openapi-agent' },
    });
    const forbidden = await call('GET', '/openapi.json', { token: enrolled.body.agentToken as string });
    expect(forbidden).toMatchObject({ status: 403, body: { code: 'Forbidden' } });
  });
});
