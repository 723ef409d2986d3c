/**
 * The OpenAPI 3.1 document of the API, generated from the route table: the
 * same zod schemas the handlers parse with become the request and response
 * schemas (zod 4's JSON Schema output is draft 2020-12, which OpenAPI 3.1 uses).
 */
import { z } from 'zod';
import type { Route } from '../routes.js';

type JsonSchema = Record<string, unknown>;

const ERROR_REF = { $ref: '#/components/schemas/Error' };

export function openApiDocument(routes: readonly Route[], version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const item = paths[route.path] ?? {};
    item[route.method.toLowerCase()] = operationOf(route);
    paths[route.path] = item;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tidemark control plane',
      version,
      description:
        'Every route needs `Authorization: Bearer <credential>`; errors are `{code, message, field?}`.',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
        },
      },
    },
  };
}

function operationOf(route: Route): JsonSchema {
  const doc = route.doc;
  const status = String(doc?.status ?? 200);
  const parameters = [
    ...[...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => ({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })),
    ...queryParameters(doc?.query),
  ];
  const errorResponse = (description: string) => ({
    description,
    content: { 'application/json': { schema: ERROR_REF } },
  });
  return {
    operationId: operationId(route),
    summary: doc?.summary ?? `${route.method} ${route.path}`,
    'x-tidemark-access': route.access,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(doc?.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: toSchema(doc.body, 'input') } },
          },
        }
      : {}),
    responses: {
      [status]: {
        description: 'success',
        ...(doc?.response
          ? { content: { 'application/json': { schema: toSchema(doc.response, 'output') } } }
          : {}),
      },
      '400': errorResponse('bad input: the message names the field'),
      '401': errorResponse('no valid credential'),
      '403': errorResponse('the credential may not call this route, or not for this host'),
    },
  };
}

function queryParameters(query: z.ZodType | undefined): JsonSchema[] {
  if (!query) return [];
  const schema = toSchema(query, 'input');
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // Refinements and transforms have no JSON Schema form: they are documented by the summary instead.
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** `functions/api/sessions/list-sessions.ts` → `listSessions`. */
function operationId(route: Route): string {
  const base = route.handler.split('/').pop()?.replace(/\.ts$/, '') ?? route.path;
  return base.replace(/[-_]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
