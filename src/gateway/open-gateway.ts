// Which Gateway a command talks to: `--gateway NAME` / `--endpoint URL` pick an OpenShell gateway over
// gRPC; otherwise the core running for the state dir, over its feed. The gRPC code loads only when asked
// for (grpc-js and the protos cost a few hundred ms at start).
import { PresetStore } from '../core/presets/preset-store.js';
import { ensureStateDir, readRuntimeInfo } from '../core/state/state-dir.js';
import { toGatewayError } from './errors.js';
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

/** The core of the state dir, over its feed; start() checks it is alive and owns its port before the token goes out. */
async function openLocal(target: GatewayTarget): Promise<Gateway> {
  const dir = target.stateDir;
  // How agents reach the core, for the console's first screen (the feed itself is verified at start()).
  const info = await readRuntimeInfo(dir);
  const agents = info ? { proxy: info.proxy, stateDir: dir } : undefined;
  return new FeedGateway({ stateDir: dir, name: 'core', sandbox: target.sandbox, ...(agents ? { agents } : {}) });
}

async function openRemote(target: GatewayTarget): Promise<Gateway> {
  const [{ resolveConnection }, { connectionOf, OpenShellRpc }, { GrpcGateway }] = await Promise.all([
    import('./grpc/connection-target.js'),
    import('./grpc/openshell-client.js'),
    import('./grpc/grpc-gateway.js'),
  ]);
  let connection: ReturnType<typeof resolveConnection>;
  try {
    // The endpoint may be our own core's gateway API: its token is found in the state dir, checked against
    // the live core (and read again before every reconnect: tokens are per core lifetime).
    connection = resolveConnection({ gateway: target.gateway, endpoint: target.endpoint }, target.env, { stateDir: target.stateDir });
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
