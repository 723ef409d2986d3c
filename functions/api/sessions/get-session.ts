import { httpHandler } from '../../shared/http-handler.js';
import { SessionParams } from './schemas.js';

/** GET /sessions/{number}: one committed session. */
export const handler = httpHandler({ params: SessionParams }, async ({ params, catalog }) => ({
  body: await catalog.session(params.number),
}));
