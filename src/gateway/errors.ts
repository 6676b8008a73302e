// What went wrong, as a type every edge keeps: adapters map their own failures (core errors, feed results,
// gRPC statuses, socket errors) into one small taxonomy once, at their boundary; the console's status line
// and the CLI's exit codes read the code, never the message. A leaf module: it imports nothing.

export const ERROR_CODES = [
  'not_found',
  'stale_review',
  'unauthenticated',
  'permission_denied',
  'unavailable',
  'invalid_argument',
  'unimplemented',
  'failed_precondition',
  'conflict',
  'internal',
] as const;

export type GatewayErrorCode = (typeof ERROR_CODES)[number];

/** What each code means to an operator (and, in the CLI, which exit code it gets). */
export const ERROR_MEANINGS: Record<GatewayErrorCode, string> = {
  not_found: 'no such request, sandbox, revision or preset',
  stale_review: 'the request changed since it was shown: look at it again, then decide',
  unauthenticated: 'no or bad credentials (token, client certificate)',
  permission_denied: 'the credentials are good but may not do this',
  unavailable: 'the core or gateway cannot be reached (not running, network, timeout): retry later',
  invalid_argument: 'the input is malformed (an id, a lifetime, a name)',
  unimplemented: 'this gateway cannot do that',
  failed_precondition: 'the state forbids it now (e.g. a gateway-global policy is in force)',
  conflict: 'it collides with something that exists (a built-in preset name, a concurrent change)',
  internal: 'anything else: a bug or an unexpected failure',
};

export class GatewayError extends Error {
  override readonly name = 'GatewayError';

  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What a UI keeps of an error: plain data (stores and reducers hold no Error objects). */
export interface ErrorInfo {
  code: GatewayErrorCode;
  message: string;
}

export const isErrorCode = (value: unknown): value is GatewayErrorCode => ERROR_CODES.includes(value as GatewayErrorCode);

/** gRPC status numbers (grpc.status) → codes. FAILED_PRECONDITION on a decision means a stale review token. */
export function codeFromGrpcStatus(status: number, context: 'decision' | 'other' = 'other'): GatewayErrorCode {
  switch (status) {
    case 3: // INVALID_ARGUMENT
    case 11: // OUT_OF_RANGE
      return 'invalid_argument';
    case 5: // NOT_FOUND
      return 'not_found';
    case 6: // ALREADY_EXISTS
    case 10: // ABORTED (a concurrent modification)
      return 'conflict';
    case 7: // PERMISSION_DENIED
      return 'permission_denied';
    case 9: // FAILED_PRECONDITION
      return context === 'decision' ? 'stale_review' : 'failed_precondition';
    case 12: // UNIMPLEMENTED
      return 'unimplemented';
    case 16: // UNAUTHENTICATED
      return 'unauthenticated';
    case 1: // CANCELLED
    case 4: // DEADLINE_EXCEEDED
    case 8: // RESOURCE_EXHAUSTED
    case 14: // UNAVAILABLE
      return 'unavailable';
    default: // UNKNOWN, INTERNAL, DATA_LOSS
      return 'internal';
  }
}

/** codes → gRPC status numbers, for a server answering in the taxonomy (a stale review is FAILED_PRECONDITION, as upstream). */
export const GRPC_STATUS_OF: Record<GatewayErrorCode, number> = {
  not_found: 5,
  stale_review: 9,
  unauthenticated: 16,
  permission_denied: 7,
  unavailable: 14,
  invalid_argument: 3,
  unimplemented: 12,
  failed_precondition: 9,
  conflict: 6,
  internal: 13,
};

/** String codes other layers use (the presets store, Node's errno) → codes. */
const STRING_CODES: Record<string, GatewayErrorCode> = {
  'not-found': 'not_found',
  invalid: 'invalid_argument',
  // The gRPC adapter's own codes (grpc/grpc-errors.ts), so its failures keep their kind at the status line.
  stale: 'stale_review',
  'permission-denied': 'permission_denied',
  'invalid-argument': 'invalid_argument',
  'failed-precondition': 'failed_precondition',
  conflict: 'conflict',
  'not-applied': 'failed_precondition',
  io: 'internal',
  ENOENT: 'not_found',
  EACCES: 'permission_denied',
  EPERM: 'permission_denied',
  ECONNREFUSED: 'unavailable',
  ECONNRESET: 'unavailable',
  ETIMEDOUT: 'unavailable',
  EHOSTUNREACH: 'unavailable',
  ENETUNREACH: 'unavailable',
  ENOTFOUND: 'unavailable',
  EPIPE: 'unavailable',
};

/**
 * The code of any thrown value: a GatewayError keeps its own; a numeric `code` is a gRPC status; known
 * string codes (presets store, errno) are translated; everything else is `internal`.
 */
export function errorCodeOf(error: unknown): GatewayErrorCode {
  if (error instanceof GatewayError) return error.code;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'number') return codeFromGrpcStatus(code);
  if (typeof code === 'string') return isErrorCode(code) ? code : (STRING_CODES[code] ?? 'internal');
  return 'internal';
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}

/** Maps any thrown value once; a GatewayError passes through unchanged. */
export function toGatewayError(error: unknown, code: GatewayErrorCode = errorCodeOf(error)): GatewayError {
  if (error instanceof GatewayError) return error;
  return new GatewayError(code, messageOf(error), { cause: error });
}

export function errorInfo(error: unknown): ErrorInfo {
  return { code: errorCodeOf(error), message: messageOf(error) };
}

/** Runs `work`, mapping whatever it throws (an adapter's boundary). */
export async function mapErrors<T>(work: () => T | Promise<T>, classify: (error: unknown) => GatewayErrorCode = errorCodeOf): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toGatewayError(error, error instanceof GatewayError ? error.code : classify(error));
  }
}
