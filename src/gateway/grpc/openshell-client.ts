// A thin promise-based client for openshell.v1.OpenShell: every unary call has a deadline (5 s unless
// told) and the connection's metadata (bearer token); errors keep their gRPC status code.
import * as grpc from '@grpc/grpc-js';
import { OpenShellClient } from './proto.js';
import {
  callMetadata,
  channelOptions,
  CONNECT_TIMEOUT_MS,
  grpcCredentials,
  UNARY_TIMEOUT_MS,
  type ConnectionTarget,
} from './connection-target.js';

export interface GrpcConnection {
  /** Gateway name (from discovery, or the endpoint host). */
  name: string;
  /** The URL the user gave or discovery found (http:// or https://). */
  endpoint: string;
  /** host:port for grpc-js. */
  address: string;
  credentials: grpc.ChannelCredentials;
  /** Per-call metadata (authorization when a token is configured). */
  metadata(): grpc.Metadata;
  channelOptions?: grpc.ChannelOptions;
}

/** The connection a resolved target (discovery, --endpoint) stands for. */
export function connectionOf(target: ConnectionTarget): GrpcConnection {
  return {
    name: target.name,
    endpoint: target.endpoint,
    address: target.address,
    credentials: grpcCredentials(target),
    metadata: () => callMetadata(target),
    channelOptions: channelOptions(target),
  };
}

export type Message = Record<string, any>;

export class OpenShellRpc {
  private readonly client: grpc.Client & Record<string, Function>;

  constructor(readonly connection: GrpcConnection) {
    this.client = new OpenShellClient(connection.address, connection.credentials, connection.channelOptions ?? {}) as grpc.Client &
      Record<string, Function>;
  }

  call<T = Message>(method: string, request: Message, timeoutMs = UNARY_TIMEOUT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      this.client[method](
        request,
        this.connection.metadata(),
        { deadline: Date.now() + timeoutMs },
        (error: grpc.ServiceError | null, response: T) => (error ? reject(error) : resolve(response)),
      );
    });
  }

  /** A server stream (WatchSandbox); no deadline, it lives until cancelled or the server ends it. */
  stream(method: string, request: Message): grpc.ClientReadableStream<Message> {
    return this.client[method](request, this.connection.metadata()) as grpc.ClientReadableStream<Message>;
  }

  /** Resolves once the channel is connected, or rejects after the connect timeout. */
  ready(timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (error?: Error) => (error ? reject(error) : resolve())),
    );
  }

  close(): void {
    this.client.close();
  }
}

/** The message a person should see for a failed call: the server's own details, else the status name. */
export function describeGrpcError(error: unknown): string {
  const e = error as Partial<grpc.ServiceError>;
  // grpc-js appends an empty "Resolution note:" to connection failures.
  if (typeof e?.code === 'number')
    return (e.details || grpc.status[e.code] || e.message || 'gRPC error').replace(/\.? ?Resolution note: ?$/, '');
  return (error as Error)?.message ?? String(error);
}
