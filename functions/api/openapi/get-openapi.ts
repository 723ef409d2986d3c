import { httpHandler } from '../../shared/http-handler.js';
import { ROUTES } from '../routes.js';
import { openApiDocument } from './openapi-document.js';

const API_VERSION = '0.1.0';
let cached: Record<string, unknown> | undefined;

/** GET /openapi.json: the API described from its own route table (viewer access, like every route). */
export const handler = httpHandler({}, async () => {
  cached ??= openApiDocument(ROUTES, API_VERSION);
  return { body: cached };
});
