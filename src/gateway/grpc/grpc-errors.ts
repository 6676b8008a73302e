// A small typed error for everything the gRPC adapter throws: the console branches on `code`, never on
// message text, and the gateway's own words stay in `message`. A leaf module (no imports from the
// adapter) so the store and components may import it without a cycle.
// Codes follow gRPC's, reduced to what an operator acts on differently.

export type GatewayErrorCode =
  | 'not-found'
  /** The thing changed under the caller (review token, resource version): refetch and decide again. */
  | 'stale'
  | 'unauthenticated'
  | 'permission-denied'
  /** The gateway could not be reached, or the outcome of a call is unknown. */
  | 'unavailable'
  | 'invalid-argument'
  | 'unimplemented'
  | 'failed-precondition';

export class GatewayError extends Error {
  override name = 'GatewayError';
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    /** The gRPC status number the call ended with, when there was one. */
    readonly grpcCode?: number,
  ) {
    super(message);
  }
}

// grpc-js status numbers (kept here as numbers so this module imports nothing).
const OK = 0;
const CANCELLED = 1;
const UNKNOWN = 2;
const INVALID_ARGUMENT = 3;
const DEADLINE_EXCEEDED = 4;
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
const PERMISSION_DENIED = 7;
const RESOURCE_EXHAUSTED = 8;
const FAILED_PRECONDITION = 9;
const ABORTED = 10;
const OUT_OF_RANGE = 11;
const UNIMPLEMENTED = 12;
const INTERNAL = 13;
const UNAVAILABLE = 14;
const UNAUTHENTICATED = 16;

export function codeOfGrpcStatus(status: number): GatewayErrorCode {
  switch (status) {
    case NOT_FOUND:
      return 'not-found';
    case ABORTED:
      return 'stale';
    case UNAUTHENTICATED:
      return 'unauthenticated';
    case PERMISSION_DENIED:
      return 'permission-denied';
    case INVALID_ARGUMENT:
    case OUT_OF_RANGE:
    case ALREADY_EXISTS:
      return 'invalid-argument';
    case UNIMPLEMENTED:
      return 'unimplemented';
    case FAILED_PRECONDITION:
    case RESOURCE_EXHAUSTED:
      return 'failed-precondition';
    case OK:
    case CANCELLED:
    case UNKNOWN:
    case DEADLINE_EXCEEDED:
    case INTERNAL:
    case UNAVAILABLE:
      return 'unavailable';
    default:
      return 'unavailable';
  }
}

/** A call whose effect on the gateway is unknown: retrying it is safe only with the same request_id. */
export function outcomeUncertain(error: unknown): boolean {
  const code = grpcCodeOf(error);
  return code === UNAVAILABLE || code === DEADLINE_EXCEEDED || code === CANCELLED || code === INTERNAL || code === UNKNOWN;
}

export function grpcCodeOf(error: unknown): number | undefined {
  if (error instanceof GatewayError) return error.grpcCode;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The gateway's own words for a failed call (grpc-js appends an empty "Resolution note" to some). */
export function describeError(error: unknown): string {
  if (error instanceof GatewayError) return error.message;
  const e = error as { code?: unknown; details?: unknown; message?: unknown } | undefined;
  const details = typeof e?.details === 'string' ? e.details : '';
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return (details || message || 'gRPC error').replace(/\.? ?Resolution note: ?$/, '');
}

/** Any thrown value as a GatewayError, keeping the gRPC code when there was one. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const code = grpcCodeOf(error);
  if (code === undefined) return new GatewayError('invalid-argument', describeError(error));
  // A review token that no longer matches is upstream's FAILED_PRECONDITION; to the console it is "stale".
  const text = describeError(error);
  const kind =
    code === FAILED_PRECONDITION && /review token|refetch|resource_version|concurrent/i.test(text) ? 'stale' : codeOfGrpcStatus(code);
  return new GatewayError(kind, text, code);
}
