// One error taxonomy for every edge: codes survive from where a failure happens to where it is shown.
import { GatewayError as GrpcAdapterError } from '../../src/gateway/grpc/grpc-errors.js';
import { describe, expect, it } from 'vitest';
import { PresetError } from '../../src/core/presets/preset-error.js';
import {
  codeFromGrpcStatus,
  ERROR_CODES,
  ERROR_MEANINGS,
  errorCodeOf,
  GatewayError,
  mapErrors,
  toGatewayError,
} from '../../src/gateway/errors.js';

describe('gateway errors', () => {
  it('gRPC statuses map to codes; FAILED_PRECONDITION on a decision is a stale review', () => {
    expect(codeFromGrpcStatus(5)).toBe('not_found');
    expect(codeFromGrpcStatus(16)).toBe('unauthenticated');
    expect(codeFromGrpcStatus(7)).toBe('permission_denied');
    expect(codeFromGrpcStatus(14)).toBe('unavailable');
    expect(codeFromGrpcStatus(4)).toBe('unavailable');
    expect(codeFromGrpcStatus(12)).toBe('unimplemented');
    expect(codeFromGrpcStatus(3)).toBe('invalid_argument');
    expect(codeFromGrpcStatus(10)).toBe('conflict');
    expect(codeFromGrpcStatus(9)).toBe('failed_precondition');
    expect(codeFromGrpcStatus(9, 'decision')).toBe('stale_review');
    expect(codeFromGrpcStatus(13)).toBe('internal');
  });

  it('other layers’ codes are read once: presets store, errno, gRPC-shaped errors', () => {
    expect(errorCodeOf(new PresetError('conflict', 'built-in name'))).toBe('conflict');
    expect(errorCodeOf(new PresetError('not-found', 'no such preset'))).toBe('not_found');
    expect(errorCodeOf(new PresetError('invalid', 'bad yaml'))).toBe('invalid_argument');
    expect(errorCodeOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('unavailable');
    expect(errorCodeOf(Object.assign(new Error('no'), { code: 16 }))).toBe('unauthenticated');
    // The gRPC adapter's own codes keep their kind on the way to the status line.
    expect(errorCodeOf(new GrpcAdapterError('invalid-argument', 'ocsf_json_enabled takes a bool'))).toBe('invalid_argument');
    expect(errorCodeOf(new GrpcAdapterError('failed-precondition', 'global policy in force'))).toBe('failed_precondition');
    expect(errorCodeOf(new GrpcAdapterError('permission-denied', 'no'))).toBe('permission_denied');
    expect(errorCodeOf(new GrpcAdapterError('stale', 'review token'))).toBe('stale_review');
    expect(errorCodeOf(new GrpcAdapterError('not-found', 'no provider'))).toBe('not_found');
    expect(errorCodeOf(new GrpcAdapterError('unimplemented', 'no'))).toBe('unimplemented');
    expect(errorCodeOf(new Error('plain'))).toBe('internal');
    expect(errorCodeOf('a string')).toBe('internal');
  });

  it('a GatewayError keeps its code through every re-mapping; others get one once', async () => {
    const original = new GatewayError('stale_review', 'the request changed');
    expect(toGatewayError(original)).toBe(original);
    await expect(
      mapErrors(
        () => Promise.reject(original),
        () => 'internal',
      ),
    ).rejects.toBe(original);
    await expect(
      mapErrors(
        () => {
          throw new Error('gone');
        },
        () => 'not_found',
      ),
    ).rejects.toMatchObject({ code: 'not_found', message: 'gone' });
  });

  it('every code has a meaning for operators', () => {
    for (const code of ERROR_CODES) expect(ERROR_MEANINGS[code].length).toBeGreaterThan(10);
  });
});

describe('gRPC round trip of codes', () => {
  it('a server answering GRPC_STATUS_OF[code] is read back as the same code (a stale review via the decision context)', async () => {
    const { GRPC_STATUS_OF } = await import('../../src/gateway/errors.js');
    for (const code of ERROR_CODES) {
      const back = codeFromGrpcStatus(GRPC_STATUS_OF[code], code === 'stale_review' ? 'decision' : 'other');
      expect(back).toBe(code);
    }
  });
});
