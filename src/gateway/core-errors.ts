// How the enforcement core's failures map onto the gateway error taxonomy: used by every adapter that
// calls a core directly (the embedded Gateway, the feed server, the gRPC server).
import { CoreError } from '../core/engine/enforcement-core.js';
import { errorCodeOf, type GatewayErrorCode } from './errors.js';

/**
 * A CoreError is a missing request or a refusal the operator can lift (--allow-unknown-binary, a writable
 * audit log under --audit-required); presets and I/O errors carry codes of their own.
 */
export const coreErrorCode = (error: unknown): GatewayErrorCode =>
  error instanceof CoreError ? (error.kind === 'refused' ? 'failed_precondition' : 'not_found') : errorCodeOf(error);
