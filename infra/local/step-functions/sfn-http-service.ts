/**
 * Puts LocalStepFunctions on the wire as the Step Functions endpoint, so the
 * real @aws-sdk/client-sfn (pointed at it by AWS_ENDPOINT_URL_SFN) talks to
 * it unchanged: the AWS JSON 1.0 protocol, `POST /` with
 * `x-amz-target: AWSStepFunctions.<Operation>`, JSON in and out, timestamps
 * as epoch seconds, errors as `{"__type": code, "message": ...}`.
 *
 * It listens on loopback only. Requests must be signed (an Authorization
 * header, as every SDK sends) but the signature is not checked: the point
 * is to catch a client that would be unsigned against AWS, not to protect
 * a loopback port.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  DescribeExecutionInput,
  GetExecutionHistoryInput,
  ListExecutionsInput,
  SendTaskFailureInput,
  SendTaskHeartbeatInput,
  SendTaskSuccessInput,
  StartExecutionInput,
  StopExecutionInput,
} from '@aws-sdk/client-sfn';
import type { LocalStepFunctions } from './local-step-functions.js';
import { ServiceError } from './service-errors.js';

export interface SfnServiceOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Loopback only: the service has no real authentication. */
  host?: '127.0.0.1';
  log?: (line: string) => void;
}

export interface RunningSfnService {
  /** The endpoint for SFNClient / AWS_ENDPOINT_URL_SFN, e.g. http://127.0.0.1:40123 */
  url: string;
  close(): Promise<void>;
}

type MemberType = 'string' | 'number' | 'boolean';

interface Operation {
  /** Member types the protocol checks before the service sees the request; unknown members are ignored. */
  members: Record<string, MemberType>;
  // The members were checked against the SDK's input shape just before, so the cast in each call holds.
  call: (service: LocalStepFunctions, request: Record<string, unknown>) => Promise<unknown>;
}

const TARGET_PREFIX = 'AWSStepFunctions.';
const MAX_REQUEST_BYTES = 1024 * 1024;

const OPERATIONS: Record<string, Operation> = {
  StartExecution: {
    members: { stateMachineArn: 'string', name: 'string', input: 'string', traceHeader: 'string' },
    call: (service, request) => service.startExecution(request as unknown as StartExecutionInput),
  },
  DescribeExecution: {
    members: { executionArn: 'string' },
    call: (service, request) => service.describeExecution(request as unknown as DescribeExecutionInput),
  },
  ListExecutions: {
    members: { stateMachineArn: 'string', statusFilter: 'string', maxResults: 'number', nextToken: 'string' },
    call: (service, request) => service.listExecutions(request as unknown as ListExecutionsInput),
  },
  GetExecutionHistory: {
    members: {
      executionArn: 'string',
      maxResults: 'number',
      reverseOrder: 'boolean',
      nextToken: 'string',
      includeExecutionData: 'boolean',
    },
    call: (service, request) => service.getExecutionHistory(request as unknown as GetExecutionHistoryInput),
  },
  StopExecution: {
    members: { executionArn: 'string', error: 'string', cause: 'string' },
    call: (service, request) => service.stopExecution(request as unknown as StopExecutionInput),
  },
  SendTaskSuccess: {
    members: { taskToken: 'string', output: 'string' },
    call: (service, request) => service.sendTaskSuccess(request as unknown as SendTaskSuccessInput),
  },
  SendTaskFailure: {
    members: { taskToken: 'string', error: 'string', cause: 'string' },
    call: (service, request) => service.sendTaskFailure(request as unknown as SendTaskFailureInput),
  },
  SendTaskHeartbeat: {
    members: { taskToken: 'string' },
    call: (service, request) => service.sendTaskHeartbeat(request as unknown as SendTaskHeartbeatInput),
  },
};

/** An error answered with its own HTTP status and code, outside the service's API errors. */
class ProtocolError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The JSON protocol's wire form: timestamps become epoch seconds (with milliseconds as the fraction). */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, toWire(member)]));
  }
  return value;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_REQUEST_BYTES) {
      throw new ProtocolError(413, 'RequestEntityTooLargeException', 'Request body is too large');
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseRequest(text: string, operation: Operation): Record<string, unknown> {
  let body: unknown;
  try {
    body = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new ProtocolError(400, 'SerializationException', 'Request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProtocolError(400, 'SerializationException', 'Request body must be a JSON object');
  }
  const request = body as Record<string, unknown>;
  for (const [member, type] of Object.entries(operation.members)) {
    const value = request[member];
    if (value !== undefined && value !== null && typeof value !== type) {
      throw new ProtocolError(400, 'SerializationException', `'${member}' must be a ${type}`);
    }
    // JSON null means "not set" to AWS's deserializers.
    if (value === null) delete request[member];
  }
  return request;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}

async function handle(
  service: LocalStepFunctions,
  request: IncomingMessage,
  response: ServerResponse,
  log: (line: string) => void,
): Promise<void> {
  try {
    if (request.method !== 'POST' || (request.url ?? '/').split('?')[0] !== '/') {
      throw new ProtocolError(
        404,
        'UnknownOperationException',
        `${request.method} ${request.url} is not an operation`,
      );
    }
    if (!request.headers.authorization) {
      // AWS's common error for an unsigned request, with its status.
      throw new ProtocolError(403, 'MissingAuthenticationToken', 'Missing Authentication Token');
    }
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX)
      ? OPERATIONS[target.slice(TARGET_PREFIX.length)]
      : undefined;
    if (!operation)
      throw new ProtocolError(400, 'UnknownOperationException', `Unknown operation '${target}'`);
    const body = parseRequest(await readBody(request), operation);
    const result = await operation.call(service, body);
    send(response, 200, toWire(result));
  } catch (error) {
    if (error instanceof ServiceError) {
      send(response, 400, { __type: error.code, message: error.message });
    } else if (error instanceof ProtocolError) {
      send(response, error.status, { __type: error.code, message: error.message });
    } else {
      log(`sfn http: ${request.headers['x-amz-target']}: ${(error as Error).stack ?? String(error)}`);
      send(response, 500, { __type: 'InternalFailure', message: (error as Error).message });
    }
  }
}

export async function startSfnService(
  service: LocalStepFunctions,
  { port = 0, host = '127.0.0.1', log = () => {} }: SfnServiceOptions = {},
): Promise<RunningSfnService> {
  const server = createServer((request, response) => {
    void handle(service, request, response, log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections alive; without this, close waits for them to time out.
        server.closeAllConnections();
      }),
  };
}
