import { describe, expect, it } from 'vitest';
import type { TidemarkError } from '../../core/error-catalogue.js';
import { EnrollHostRequest } from '../../core/host.js';
import { bearerToken } from '../../functions/api/authorizer.js';
import { parseWith } from '../../functions/shared/parse.js';

function failure(value: unknown): TidemarkError {
  try {
    parseWith(EnrollHostRequest, value, 'body');
  } catch (error) {
    return error as TidemarkError;
  }
  throw new Error('expected a parse failure');
}

describe('request parsing', () => {
  it('names the first bad field and says what is wrong', () => {
    const error = failure({ name: 'ok', addresses: ['1.2.3.4', '???'] });
    expect(error.status).toBe(400);
    expect(error.field).toBe('addresses.1');
    expect(error.message).toMatch(/^body field 'addresses\.1': must be an IPv4 address/);
  });

  it('names an unknown field', () => {
    expect(failure({ name: 'ok', extra: 1 }).field).toBe('extra');
  });

  it('returns the parsed value with defaults applied', () => {
    expect(parseWith(EnrollHostRequest, { name: 'db-1' }, 'body')).toEqual({ name: 'db-1', addresses: [] });
  });
});

describe('bearer token', () => {
  it('reads the Authorization header case-insensitively', () => {
    expect(bearerToken({ Authorization: 'Bearer abc' })).toBe('abc');
    expect(bearerToken({ authorization: 'bearer  xyz ' })).toBe('xyz');
    expect(bearerToken({ authorization: 'Basic abc' })).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
