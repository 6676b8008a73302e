// One channel to a gateway and a promise-based way to call it in any of our protocol generations:
// every unary call has a deadline (5 s unless told) and the connection's metadata (bearer token);
// errors keep their gRPC status code. Which generation to speak is decided by protocol-probe.ts.
import * as grpc from '@grpc/grpc-js';
import { type ApiId, type LoadedApi, loadApi } from './proto.js';
import {
  callMetadata,
  channelOptions,
  CONNECT_TIMEOUT_MS,
  grpcCredentials,
  refreshLocalBearer,
  UNARY_TIMEOUT_MS,
  type ConnectionTarget,
} from './connection-target.js';
import type { Wire } from './wire.js';

export { describeError as describeGrpcError } from './grpc-errors.js';

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
  /** Re-reads credentials that change over time (a local core's per-lifetime token); called before each connect. */
  refresh?(): Promise<void>;
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
    ...(target.localCore ? { refresh: () => refreshLocalBearer(target) } : {}),
    channelOptions: channelOptions(target),
  };
}

export interface CallOptions {
  timeoutMs?: number;
  /** Receives the server's initial metadata (the protocol probe reads a marker there). */
  onMetadata?: (metadata: grpc.Metadata) => void;
}

export class OpenShellRpc {
  private readonly client: grpc.Client;
  /** The generation calls go to unless told otherwise (set once the probe has decided). */
  api: LoadedApi;

  constructor(
    readonly connection: GrpcConnection,
    api: ApiId = 'v1',
  ) {
    this.client = new grpc.Client(connection.address, connection.credentials, connection.channelOptions ?? {});
    this.api = loadApi(api);
  }

  /** Fresh credentials before a (re)connect: see GrpcConnection.refresh. */
  async refresh(): Promise<void> {
    await this.connection.refresh?.();
  }

  use(api: ApiId): void {
    this.api = loadApi(api);
  }

  call<T = Wire>(method: string, request: Wire, options: CallOptions | number = {}, api: LoadedApi = this.api): Promise<T> {
    const { timeoutMs = UNARY_TIMEOUT_MS, onMetadata } = typeof options === 'number' ? { timeoutMs: options } : options;
    const def = api.definition[method];
    if (!def) return Promise.reject(new Error(`${api.service} has no method ${method} in our proto subset`));
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize as (bytes: Buffer) => T,
        request,
        this.connection.metadata(),
        { deadline: Date.now() + timeoutMs },
        (error, response) => (error ? reject(error) : resolve(response as T)),
      );
      if (onMetadata) call.on('metadata', onMetadata);
    });
  }

  /** A server stream (WatchSandbox); no deadline, it lives until cancelled or the server ends it. */
  stream(method: string, request: Wire, api: LoadedApi = this.api): grpc.ClientReadableStream<Wire> {
    const def = api.definition[method];
    if (!def?.responseStream) throw new Error(`${api.service}.${method} is not a server stream`);
    return this.client.makeServerStreamRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize as (bytes: Buffer) => Wire,
      request,
      this.connection.metadata(),
    );
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
