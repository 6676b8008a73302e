// The world as the UI reducer and selectors see it, assembled from the gateway's store, the gateway
// directory and the gateway's capabilities at the moment an action is reduced.
import type { GatewayCapabilities } from '../../gateway/gateway.js';
import type { ConsoleData } from '../console-store.js';
import type { GatewayDirectory } from '../gateway-directory.js';
import type { UiWorld } from './selectors.js';

export function worldOf(data: ConsoleData, directory: GatewayDirectory, capabilities: GatewayCapabilities): UiWorld {
  return {
    requests: data.requests,
    order: data.order,
    logs: data.logs,
    sandboxes: data.sandboxes,
    revision: data.revision,
    workspace: data.workspace,
    connected: data.connection.status === 'connected',
    epoch: data.epoch,
    queries: data.queries,
    gateways: directory.entries,
    activeGateway: directory.active,
    capabilities,
  };
}
