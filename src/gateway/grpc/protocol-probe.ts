// Which protocol generation a gateway speaks, found by asking it: `Health` on each service name.
//   ryno.v1.Ryno answers                    → 0.1.x under the newest names
//   openshell.v1.OpenShell answers, and     → 0.1.x, unless its version is 0.0.* (or our own served
//                                             core says `openshell-term-api: 0.0` in the response
//                                             headers), then 0.0.x
// Health is the same message in every generation, so the answer to it is safe to read before we know.
// The result is remembered per gateway for the life of the process (a restart on a new release is
// seen on the next reconnect: the probe runs again when a call fails with UNIMPLEMENTED).
import type * as grpc from '@grpc/grpc-js';
import { CurrentProtocol } from './current-protocol.js';
import { grpcCodeOf, toGatewayError } from './grpc-errors.js';
import { LegacyProtocol } from './legacy-protocol.js';
import type { OpenShellRpc } from './openshell-client.js';
import { API_GENERATION_HEADER, type ApiId, loadApi } from './proto.js';
import type { GatewayProtocol } from './protocol.js';
import { str } from './wire.js';

const UNIMPLEMENTED = 12;

export interface ProbeResult {
  protocol: GatewayProtocol;
  version: string;
}

const remembered = new Map<string, ApiId>();

export function protocolFor(rpc: OpenShellRpc, api: ApiId): GatewayProtocol {
  const loaded = loadApi(api);
  rpc.use(api);
  return loaded.generation === 'legacy' ? new LegacyProtocol(rpc, loaded) : new CurrentProtocol(rpc, loaded);
}

async function health(rpc: OpenShellRpc, api: ApiId): Promise<{ version: string; marker?: string }> {
  let marker: string | undefined;
  const r = await rpc.call(
    'Health',
    {},
    { onMetadata: (md: grpc.Metadata) => (marker = String(md.get(API_GENERATION_HEADER)[0] ?? '') || undefined) },
    loadApi(api),
  );
  return { version: str(r, 'version'), marker };
}

/** Probes the gateway at `key` (its endpoint); `fresh` forgets what was remembered. */
export async function probeProtocol(rpc: OpenShellRpc, key: string, fresh = false): Promise<ProbeResult> {
  const known = fresh ? undefined : remembered.get(key);
  if (known) {
    const protocol = protocolFor(rpc, known);
    return { protocol, version: (await protocol.health()).version };
  }
  const order: ApiId[] = ['ryno', 'v1'];
  let last: unknown;
  for (const api of order) {
    try {
      const { version, marker } = await health(rpc, api);
      const id: ApiId = api === 'v1' && (marker === '0.0' || (!marker && /^v?0\.0\./.test(version))) ? 'v0' : api;
      remembered.set(key, id);
      return { protocol: protocolFor(rpc, id), version };
    } catch (error) {
      last = error;
      // Only "no such service" moves on to the next name; anything else (down, refused, bad token) is the answer.
      if (grpcCodeOf(error) !== UNIMPLEMENTED) throw toGatewayError(error);
    }
  }
  throw toGatewayError(last);
}

export function forgetProtocol(key: string): void {
  remembered.delete(key);
}
