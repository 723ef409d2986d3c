import { httpHandler } from '../../shared/http-handler.js';
import { ListScenariosQuery } from './scenario-params.js';

/** GET /scenarios: scenarios by name, a page at a time. */
export const handler = httpHandler({ query: ListScenariosQuery }, async ({ query, catalog }) => ({
  body: await catalog.scenarios(query.limit, query.next),
}));
