/** The Powertools instances every handler shares: one logger, one tracer. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';

export const logger = new Logger({ serviceName: 'tidemark' });
export const tracer = new Tracer({ serviceName: 'tidemark' });
