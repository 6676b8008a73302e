// How the enforcement core's failures map onto the gateway error taxonomy: used by every adapter that
// calls a core directly (the embedded Gateway, the feed server, the gRPC server).
import { CoreError } from '../core/engine/enforcement-core.js';
import { errorCodeOf, type GatewayErrorCode } from './errors.js';

/** A missing request is the core's only CoreError; presets and I/O errors carry codes of their own. */
export const coreErrorCode = (error: unknown): GatewayErrorCode => (error instanceof CoreError ? 'not_found' : errorCodeOf(error));
