// Which Gateway a command talks to: `--gateway NAME` / `--endpoint URL` pick an OpenShell gateway over
// gRPC; otherwise the core running for the state dir, over its feed. The gRPC code loads only when asked
// for (grpc-js and the protos cost a few hundred ms at start).
import { PresetStore } from '../core/presets/preset-store.js';
import { ensureStateDir, readRuntimeInfo, readToken } from '../core/state/state-dir.js';
import { GatewayError, toGatewayError } from './errors.js';
import { FeedGateway } from './feed/feed-gateway.js';
import type { Gateway } from './gateway.js';

export interface GatewayTarget {
  stateDir: string;
  /** A gateway from the OpenShell CLI's config. */
  gateway?: string;
  /** An openshell.v1 endpoint (http:// h2c, https:// TLS/mTLS). */
  endpoint?: string;
  workspace?: string;
  /** The sandbox meant; a core has exactly one, which takes this name when given. */
  sandbox?: string;
  env: NodeJS.ProcessEnv;
}

export const isRemoteTarget = (target: Pick<GatewayTarget, 'gateway' | 'endpoint'>) =>
  target.gateway !== undefined || target.endpoint !== undefined;

/** A Gateway for the target, not yet started. Fails with a typed error when there is nothing to talk to. */
export async function openGateway(target: GatewayTarget): Promise<Gateway> {
  return isRemoteTarget(target) ? openRemote(target) : openLocal(target);
}

async function openLocal(target: GatewayTarget): Promise<Gateway> {
  const dir = target.stateDir;
  const [info, token] = await Promise.all([readRuntimeInfo(dir), readToken(dir)]);
  if (!info || !token)
    throw new GatewayError(
      'unavailable',
      `no core is running for state dir ${dir} (start one with: openshell-term core --state-dir ${dir})`,
    );
  return new FeedGateway({ url: info.ws, token, name: 'core', sandbox: target.sandbox, agents: { proxy: info.proxy, stateDir: dir } });
}

async function openRemote(target: GatewayTarget): Promise<Gateway> {
  const [{ resolveConnection }, { connectionOf, OpenShellRpc }, { GrpcGateway }] = await Promise.all([
    import('./grpc/connection-target.js'),
    import('./grpc/openshell-client.js'),
    import('./grpc/grpc-gateway.js'),
  ]);
  let connection: ReturnType<typeof resolveConnection>;
  try {
    connection = resolveConnection({ gateway: target.gateway, endpoint: target.endpoint }, target.env);
  } catch (error) {
    // A name not configured, a broken entry, an expired token, a token over plaintext: the input is wrong.
    throw toGatewayError(error, 'invalid_argument');
  }
  // Preset files stay local whichever gateway they go to (NemoClaw format, in the state dir).
  await ensureStateDir(target.stateDir);
  const presets = await PresetStore.open(target.stateDir);
  const workspace = target.workspace ?? target.env.OPENSHELL_WORKSPACE;
  return new GrpcGateway({ rpc: new OpenShellRpc(connectionOf(connection)), presets, workspace });
}
