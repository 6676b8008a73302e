// An error that carries the gRPC status code it should be answered with (and that the client maps back).
import type { status } from '@grpc/grpc-js';

export class GrpcStatusError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}
