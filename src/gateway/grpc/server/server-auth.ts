// Who may call the served core: the holder of the control token (bearer, compared in constant time),
// or — when the server requires client certificates — a client whose certificate the configured CA
// signed (TLS already verified it before any call arrives). Loopback is no exception: another local
// user can reach a loopback port as easily as the operator can.
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { GrpcStatusError } from './status-error.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Constant-time: both sides are hashed first, so neither the length nor a prefix of the token leaks. */
export function bearerMatches(header: string, token: string): boolean {
  const expected = `Bearer ${token}`;
  return timingSafeEqual(digest(header), digest(expected));
}

export function requireBearer(metadata: grpc.Metadata, token: string | undefined): void {
  if (token === undefined) return;
  const values = metadata.get('authorization');
  const header = values.length === 1 ? String(values[0]) : '';
  if (!header || !bearerMatches(header, token))
    throw new GrpcStatusError(
      grpc.status.UNAUTHENTICATED,
      "missing or wrong bearer token (the core's state dir holds it in control.token)",
    );
}
