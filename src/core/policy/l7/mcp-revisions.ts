// MCP protocol revisions as policy data: which methods each revision defines in which direction, and
// its wire profile (JSON-RPC batches only in 2025-03-26, at most 64 messages). Upstream OpenShell pins
// the same three revisions and the default 2025-11-25; the method lists are ours, read from the MCP
// specification of each revision. A method no revision defines is an extension: addressable only by an
// exact method literal in a rule.

export const MCP_VERSIONS = ['2025-03-26', '2025-06-18', '2025-11-25'] as const;
export type McpVersion = (typeof MCP_VERSIONS)[number];
export const DEFAULT_MCP_VERSION: McpVersion = '2025-11-25';
/** The revision a request without MCP-Protocol-Version is taken to speak (MCP Streamable HTTP, backwards compatibility). */
export const HEADERLESS_MCP_VERSION: McpVersion = '2025-03-26';
export const MAX_MCP_LEGACY_BATCH = 64;

export function isMcpVersion(text: string): text is McpVersion {
  return (MCP_VERSIONS as readonly string[]).includes(text);
}

interface Profile {
  batches: boolean;
  clientRequests: ReadonlySet<string>;
  clientNotifications: ReadonlySet<string>;
  serverRequests: ReadonlySet<string>;
  serverNotifications: ReadonlySet<string>;
}

const BASE_CLIENT_REQUESTS = [
  'initialize',
  'ping',
  'completion/complete',
  'logging/setLevel',
  'prompts/get',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'tools/call',
  'tools/list',
];
const BASE_CLIENT_NOTIFICATIONS = [
  'notifications/cancelled',
  'notifications/progress',
  'notifications/initialized',
  'notifications/roots/list_changed',
];
const BASE_SERVER_REQUESTS = ['ping', 'sampling/createMessage', 'roots/list'];
const BASE_SERVER_NOTIFICATIONS = [
  'notifications/cancelled',
  'notifications/progress',
  'notifications/message',
  'notifications/resources/updated',
  'notifications/resources/list_changed',
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
];
const TASKS = ['tasks/get', 'tasks/result', 'tasks/list', 'tasks/cancel'];

const PROFILES: Record<McpVersion, Profile> = {
  '2025-03-26': {
    batches: true,
    clientRequests: new Set(BASE_CLIENT_REQUESTS),
    clientNotifications: new Set(BASE_CLIENT_NOTIFICATIONS),
    serverRequests: new Set(BASE_SERVER_REQUESTS),
    serverNotifications: new Set(BASE_SERVER_NOTIFICATIONS),
  },
  '2025-06-18': {
    batches: false,
    clientRequests: new Set(BASE_CLIENT_REQUESTS),
    clientNotifications: new Set(BASE_CLIENT_NOTIFICATIONS),
    serverRequests: new Set([...BASE_SERVER_REQUESTS, 'elicitation/create']),
    serverNotifications: new Set(BASE_SERVER_NOTIFICATIONS),
  },
  '2025-11-25': {
    batches: false,
    clientRequests: new Set([...BASE_CLIENT_REQUESTS, ...TASKS]),
    clientNotifications: new Set([...BASE_CLIENT_NOTIFICATIONS, 'notifications/tasks/status']),
    serverRequests: new Set([...BASE_SERVER_REQUESTS, 'elicitation/create', ...TASKS]),
    serverNotifications: new Set([...BASE_SERVER_NOTIFICATIONS, 'notifications/tasks/status', 'notifications/elicitation/complete']),
  },
};

const KNOWN = new Set(
  Object.values(PROFILES).flatMap((p) => [...p.clientRequests, ...p.clientNotifications, ...p.serverRequests, ...p.serverNotifications]),
);

export function batchesAllowed(version: McpVersion): boolean {
  return PROFILES[version].batches;
}

export type McpClassification = { kind: 'available' } | { kind: 'extension' } | { kind: 'error'; error: string; invalidMessage?: boolean };

/** How a client-to-server method relates to `version`. */
export function classifyMcpMethod(version: McpVersion, method: string, isNotification: boolean): McpClassification {
  const p = PROFILES[version];
  if (p.clientRequests.has(method) || p.clientNotifications.has(method)) {
    if (isNotification && !p.clientNotifications.has(method)) {
      return { kind: 'error', error: `MCP \`${method}\` is a request and needs an id`, invalidMessage: true };
    }
    if (!isNotification && !p.clientRequests.has(method)) {
      return { kind: 'error', error: `MCP \`${method}\` is a notification and must not carry an id`, invalidMessage: true };
    }
    return { kind: 'available' };
  }
  if (p.serverRequests.has(method) || p.serverNotifications.has(method)) {
    return { kind: 'error', error: `MCP ${version}: \`${method}\` is server-to-client; it is not valid client-to-server` };
  }
  if (KNOWN.has(method)) return { kind: 'error', error: `MCP ${version} does not make \`${method}\` available` };
  return { kind: 'extension' };
}
