// The CLI's exit codes: one per kind of gateway error, so scripts can tell "retry later" from "no such
// request" without reading messages. Documented in README ("Exit codes").
import type { GatewayErrorCode } from '../gateway/errors.js';

export const EXIT_OK = 0;
/** Anything outside the gateway taxonomy, and `internal`. */
export const EXIT_FAILED = 1;
/** A command line we could not understand (also `invalid_argument`). */
export const EXIT_USAGE = 2;
/** `--wait` gave up before the sandbox loaded the new policy (as the OpenShell CLI's --wait). */
export const EXIT_TIMEOUT = 124;

export const EXIT_CODES: Record<GatewayErrorCode, number> = {
  internal: EXIT_FAILED,
  invalid_argument: EXIT_USAGE,
  not_found: 3,
  stale_review: 4,
  conflict: 5,
  failed_precondition: 6,
  unimplemented: 7,
  unauthenticated: 8,
  permission_denied: 9,
  unavailable: 10,
};
