// JSON-RPC and MCP requests, decided on the body. Upstream's semantics (sandbox-policy.rego, relay.rs):
// only POST carries calls; every call of a batch is judged alone and the first one refused refuses the
// batch; unreadable bodies, and JSON-RPC response frames on a json-rpc endpoint, are refused even in
// audit mode; an MCP GET that opens the SSE stream, and MCP response frames (answers to server
// requests such as elicitation), pass once the endpoint matched. MCP calls are read under the revision
// the client names in MCP-Protocol-Version (which must be one the endpoint's mcp.versions lists).
import { bodyLength, bodyText, parseStrictJson } from '../strict-json.js';
import { queryValueMatches } from './rest-match.js';
import type { Decision, L7Facts } from '../types.js';
import type { RpcRule } from './endpoint-config.js';
import { acceptsMediaType, headerValues } from './http-parts.js';
import { inspectJsonRpc, inspectMcp, type RpcCall, type RpcInfo } from './jsonrpc-inspect.js';
import { HEADERLESS_MCP_VERSION, isMcpVersion, type McpVersion } from './mcp-revisions.js';
import { allowed, hardDeny, type L7Context, notAllowed } from './verdict.js';

export const JSONRPC_RESPONSE_FRAME_DENY_REASON = 'JSON-RPC response frames are not permitted from client to server';

export function decideRpc(ctx: L7Context): Decision {
  const config = ctx.routed.l7!;
  const mcp = config.protocol === 'mcp';
  const where = `${ctx.method} ${ctx.path}`;
  const body = ctx.request.body;

  // MCP Streamable HTTP: a body-less GET asking for text/event-stream opens the server's message stream.
  if (ctx.method.toUpperCase() === 'GET' && bodyLength(body) === 0 && acceptsMediaType(ctx.request.headers, 'text/event-stream')) {
    const facts: L7Facts = mcp ? { kind: 'mcp', method: 'GET', frame: 'receive-stream' } : { kind: 'json-rpc', method: 'GET' };
    if (mcp && ctx.method === 'GET') return allowed(ctx, `${where}: MCP SSE receive stream allowed by policy '${ctx.policy}'`, facts);
    return notAllowed(ctx, `${where} not permitted by policy (an SSE receive stream on a ${config.protocol} endpoint)`, facts, false);
  }

  const limit = config.bodyLimit!;
  const size = bodyLength(body);
  if (size > limit) return hardDeny(ctx, `${where}: HTTP request body of ${size} bytes exceeds the ${limit} byte inspection limit`);
  const text = bodyText(body ?? '');
  if (!text.ok) return hardDeny(ctx, `${where}: JSON-RPC request rejected: ${text.error}`);
  const parsed = parseStrictJson(text.text);
  if (!parsed.ok) {
    const missing =
      body !== undefined && size > 0
        ? ''
        : mcp && ctx.method.toUpperCase() === 'DELETE'
          ? ' (an MCP session-end DELETE has no body; as upstream, only POST messages and the SSE GET pass an MCP endpoint)'
          : ' (the request has no body)';
    return hardDeny(ctx, `${where}: JSON-RPC request rejected: ${parsed.error}${missing}`);
  }

  let info: RpcInfo;
  if (mcp) {
    const { revision, problem } = selectRevision(ctx);
    info = inspectMcp(parsed.value, { revision, strictToolNames: config.mcp!.strictToolNames });
    if (info.error && problem && info.error.startsWith('MCP effective protocol revision'))
      info = { ...info, error: `${info.error}: ${problem}` };
  } else info = inspectJsonRpc(parsed.value);
  if (info.error) return hardDeny(ctx, `${where}: JSON-RPC request rejected: ${info.error}`);
  if (!mcp && info.hasResponse) return hardDeny(ctx, `${where}: ${JSONRPC_RESPONSE_FRAME_DENY_REASON}`);

  if (info.hasResponse && ctx.method !== 'POST') {
    return notAllowed(ctx, `${where}: an MCP response frame not permitted by policy (only POST carries messages)`, responseFacts(), false);
  }
  for (const call of info.calls) {
    const verdict = judgeCall(ctx, call);
    if (verdict) return verdict;
  }
  const first = info.calls[0];
  const facts = first ? callFacts(mcp, first) : responseFacts();
  const what = first ? describe(mcp, first) : 'MCP response frame';
  const more = info.calls.length > 1 ? ` and ${info.calls.length - 1} more call(s) of the batch` : '';
  return allowed(ctx, `${where}: ${what}${more} allowed by policy '${ctx.policy}'`, facts);
}

function responseFacts(): L7Facts {
  return { kind: 'mcp', method: '', frame: 'response' };
}

function callFacts(mcp: boolean, call: RpcCall): L7Facts {
  if (!mcp) return { kind: 'json-rpc', method: call.method };
  return call.tool !== undefined ? { kind: 'mcp', method: call.method, tool: call.tool } : { kind: 'mcp', method: call.method };
}

function describe(mcp: boolean, call: RpcCall): string {
  if (!mcp) return `JSON-RPC method '${call.method}'`;
  return call.tool !== undefined ? `MCP ${call.method} tool '${call.tool}'` : `MCP method '${call.method}'`;
}

/** One call against the covering endpoints' rules; undefined when it is allowed. */
function judgeCall(ctx: L7Context, call: RpcCall): Decision | undefined {
  const mcp = ctx.routed.l7!.protocol === 'mcp';
  const where = `${ctx.method} ${ctx.path}`;
  const facts = callFacts(mcp, call);
  const what = describe(mcp, call);
  if (ctx.method !== 'POST') {
    // Upstream's rules only ever match POST ("post" is another method): nothing here could allow it.
    return notAllowed(ctx, `${where}: ${what} not permitted by policy (JSON-RPC calls are judged only on POST)`, facts, false);
  }
  const denied = ctx.peers.some((ep) => ep.l7!.rpcDeny.some((rule) => ruleMatches(rule, call, mcp, true)));
  if (denied) return notAllowed(ctx, `${where}: ${what} blocked by deny rule`, facts, false);
  const ok = ctx.peers.some((ep) => {
    const l7 = ep.l7!;
    if (l7.rpcAllow.some((rule) => ruleMatches(rule, call, mcp, false))) return true;
    // allow_all_known_mcp_methods: every core method of the revision, tools/call narrowed by tool rules.
    return Boolean(l7.mcp?.allowAllKnownMethods && call.mcpClass === 'available' && !(call.method === 'tools/call' && l7.mcp.narrowsTools));
  });
  if (ok) return undefined;
  return notAllowed(ctx, `${where}: ${what} not permitted by policy`, facts, true);
}

function ruleMatches(rule: RpcRule, call: RpcCall, mcp: boolean, deny: boolean): boolean {
  if (!rule.methodMatches(call.method)) return false;
  // A method glob reaches only core methods of the selected revision; an extension needs its exact name.
  // Deny globs reach extensions too: a deny rule must not be sidestepped by inventing a method name.
  if (mcp && !deny && rule.methodIsGlob && call.mcpClass !== 'available') return false;
  if (rule.tool === undefined) return true;
  return call.tool !== undefined && queryValueMatches(call.tool, rule.tool);
}

/** The MCP revision this request is read under, or why none could be chosen. */
function selectRevision(ctx: L7Context): { revision?: McpVersion; problem?: string } {
  const versions = ctx.routed.l7!.mcp!.versions;
  const listed = `mcp.versions: ${versions.join(', ')}`;
  const given = headerValues(ctx.request.headers, 'mcp-protocol-version');
  if (given.length > 1) return { problem: 'MCP-Protocol-Version is given more than once' };
  if (given.length === 1) {
    const value = given[0];
    if (isMcpVersion(value) && versions.includes(value)) return { revision: value };
    return { problem: `MCP-Protocol-Version ${JSON.stringify(value)} is not a revision this endpoint allows (${listed})` };
  }
  // MCP Streamable HTTP: a request without the header speaks 2025-03-26, if the endpoint allows it.
  if (versions.includes(HEADERLESS_MCP_VERSION)) return { revision: HEADERLESS_MCP_VERSION };
  return { problem: `the request has no MCP-Protocol-Version header, which means ${HEADERLESS_MCP_VERSION}, not allowed here (${listed})` };
}
