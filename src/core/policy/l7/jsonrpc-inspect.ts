// Reading a JSON-RPC 2.0 request body into the facts policy judges: the calls it makes (method, and for
// MCP the tools/call tool and how the method relates to the selected revision), whether it carries
// response frames, whether it is a batch. Semantics follow upstream's jsonrpc.rs: an invalid message
// anywhere makes the whole body an inspection error (denied even in audit mode).
import { isJsonObject, type JsonValue } from '../strict-json.js';
import { batchesAllowed, classifyMcpMethod, MAX_MCP_LEGACY_BATCH, type McpVersion } from './mcp-revisions.js';

/** Generic JSON-RPC batches upstream leaves unbounded (only the body limit bounds them); we cap the count. */
export const MAX_JSONRPC_BATCH = 1024;

export interface RpcCall {
  method: string;
  /** MCP tools/call: params.name. */
  tool?: string;
  /** MCP only: a core method of the selected revision, or an extension no revision defines. */
  mcpClass?: 'available' | 'extension';
  notification: boolean;
}

export interface RpcInfo {
  calls: RpcCall[];
  isBatch: boolean;
  hasResponse: boolean;
  /** The inspection failure; policy never sees the calls of such a body. */
  error?: string;
}

const rejected = (isBatch: boolean, error: string): RpcInfo => ({ calls: [], isBatch, hasResponse: false, error });

type Message = { kind: 'call'; call: RpcCall; params: JsonValue | undefined } | { kind: 'response' };

/** Upstream's shared framing: version "2.0", a method or a response payload (never both). */
function readMessage(value: JsonValue): Message | string {
  if (!isJsonObject(value)) return "missing or non-string 'jsonrpc' field";
  const version = value.jsonrpc;
  if (typeof version !== 'string') return "missing or non-string 'jsonrpc' field";
  if (version !== '2.0') return `unsupported JSON-RPC version '${version}'`;
  const hasMethod = Object.hasOwn(value, 'method');
  const hasResult = Object.hasOwn(value, 'result');
  const hasError = Object.hasOwn(value, 'error');
  if (hasMethod && (hasResult || hasError)) return 'JSON-RPC message includes both method and result/error';
  if (hasResult || hasError) {
    if (hasResult && hasError) return 'JSON-RPC response includes both result and error';
    if (!Object.hasOwn(value, 'id')) return 'JSON-RPC response missing id';
    const id = value.id;
    if (!(typeof id === 'string' || typeof id === 'number' || id === null)) return 'JSON-RPC response id must be string, number, or null';
    if (hasError && !isJsonObject(value.error)) return 'JSON-RPC response error must be an object';
    return { kind: 'response' };
  }
  if (!hasMethod || typeof value.method !== 'string') return "missing or non-string 'method' field";
  return { kind: 'call', call: { method: value.method, notification: !Object.hasOwn(value, 'id') }, params: value.params };
}

/** Generic JSON-RPC (protocol: json-rpc): methods only; params are not policy input. */
export function inspectJsonRpc(body: JsonValue): RpcInfo {
  if (Array.isArray(body)) {
    if (body.length === 0) return rejected(true, 'empty batch');
    if (body.length > MAX_JSONRPC_BATCH) return rejected(true, `batch of ${body.length} messages exceeds ${MAX_JSONRPC_BATCH}`);
    const calls: RpcCall[] = [];
    let hasResponse = false;
    for (const item of body) {
      const message = readMessage(item);
      if (typeof message === 'string') return rejected(true, `batch item invalid: ${message}`);
      if (message.kind === 'response') hasResponse = true;
      else calls.push(message.call);
    }
    return { calls, isBatch: true, hasResponse };
  }
  const message = readMessage(body);
  if (typeof message === 'string') return rejected(false, message);
  return message.kind === 'response'
    ? { calls: [], isBatch: false, hasResponse: true }
    : { calls: [message.call], isBatch: false, hasResponse: false };
}

export interface McpInspectOptions {
  /** The revision the transport selected; undefined admits only the bootstrap `initialize`. */
  revision?: McpVersion;
  strictToolNames: boolean;
}

/** MCP over Streamable HTTP: JSON-RPC plus the revision's wire profile, method availability and typed params. */
export function inspectMcp(body: JsonValue, options: McpInspectOptions): RpcInfo & { bootstrap?: true } {
  const isBatch = Array.isArray(body);
  const items = isBatch ? body : [body];
  const messages: Message[] = [];
  for (const item of items) {
    const message = readMessage(item);
    if (typeof message === 'string') return rejected(isBatch, isBatch ? `batch item invalid: ${message}` : message);
    messages.push(message);
  }
  // `initialize` chooses the revision, so it is read before one is required; it must stand alone.
  if (messages.some((m) => m.kind === 'call' && m.call.method === 'initialize')) {
    if (isBatch) return rejected(true, 'MCP `initialize` must be exactly one non-batched request');
    const only = messages[0];
    if (only.kind !== 'call' || only.call.notification) return rejected(false, 'MCP `initialize` must be a request with an id');
    const invalid = mcpParamsError('initialize', only.params);
    if (invalid) return rejected(false, invalid);
    return { calls: [{ ...only.call, mcpClass: 'available' }], isBatch: false, hasResponse: false, bootstrap: true };
  }
  const revision = options.revision;
  if (!revision) return rejected(isBatch, 'MCP effective protocol revision has not been selected');
  if (isBatch) {
    if (!batchesAllowed(revision)) return rejected(true, `MCP ${revision} does not permit top-level JSON-RPC batches`);
    if (items.length === 0) return rejected(true, 'empty batch');
    if (items.length > MAX_MCP_LEGACY_BATCH) {
      return rejected(true, `MCP ${revision} batch contains ${items.length} messages; the maximum is ${MAX_MCP_LEGACY_BATCH}`);
    }
  }
  const calls: RpcCall[] = [];
  let hasResponse = false;
  for (const message of messages) {
    if (message.kind === 'response') {
      hasResponse = true;
      continue;
    }
    const { call, params } = message;
    const cls = classifyMcpMethod(revision, call.method, call.notification);
    if (cls.kind === 'error') return rejected(isBatch, cls.error);
    if (cls.kind === 'available') {
      const invalid = mcpParamsError(call.method, params);
      if (invalid) return rejected(isBatch, invalid);
    }
    const tool = call.method === 'tools/call' && isJsonObject(params) ? (params.name as string) : undefined;
    if (tool !== undefined && options.strictToolNames && !STRICT_TOOL_NAME.test(tool)) {
      return rejected(isBatch, 'MCP tool name must match ^[A-Za-z0-9_.-]{1,128}$ when strict_tool_names is enabled');
    }
    calls.push({ ...call, mcpClass: cls.kind, ...(tool !== undefined ? { tool } : {}) });
  }
  return { calls, isBatch, hasResponse };
}

/** MCP's recommended tool-name syntax; upstream enforces it unless mcp.strict_tool_names is false. */
export const STRICT_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

const str = (o: { [k: string]: JsonValue }, k: string) => typeof o[k] === 'string';
const optObject = (o: { [k: string]: JsonValue }, k: string) => o[k] === undefined || isJsonObject(o[k]);

/** Typed validation of the params of the core methods whose params policy or servers rely on. */
function mcpParamsError(method: string, params: JsonValue | undefined): string | undefined {
  const bad = (why: string) => `invalid MCP \`${method}\` params: ${why}`;
  if (params === undefined) {
    return ['initialize', 'tools/call', 'prompts/get', 'resources/read', 'resources/subscribe', 'resources/unsubscribe'].includes(method)
      ? bad('params are required')
      : undefined;
  }
  if (!isJsonObject(params)) return bad('params must be an object');
  switch (method) {
    case 'initialize': {
      const info = params.clientInfo;
      if (!str(params, 'protocolVersion')) return bad('protocolVersion must be a string');
      if (!isJsonObject(params.capabilities)) return bad('capabilities must be an object');
      if (!isJsonObject(info) || !str(info, 'name') || !str(info, 'version')) return bad('clientInfo needs string name and version');
      return undefined;
    }
    case 'tools/call':
      if (!str(params, 'name')) return bad('missing string `name`');
      return optObject(params, 'arguments') ? undefined : bad('arguments must be an object');
    case 'prompts/get':
      if (!str(params, 'name')) return bad('missing string `name`');
      return optObject(params, 'arguments') ? undefined : bad('arguments must be an object');
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      return str(params, 'uri') ? undefined : bad('missing string `uri`');
    case 'tasks/get':
    case 'tasks/result':
    case 'tasks/cancel':
      return str(params, 'taskId') ? undefined : bad('missing string `taskId`');
    default:
      return undefined;
  }
}
