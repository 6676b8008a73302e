// Requests that stand for an operation entry when the core asks "does the policy allow it now?" (after a
// preset or a promote, to release what waits): the inbox keeps the operation (tool, method, GraphQL
// operation), never the body an agent sent, so a minimal body carrying exactly that operation is made up.
// An MCP entry is tried under each revision, since the entry does not keep which one the client spoke.
import { MCP_VERSIONS } from '../policy/l7/mcp-revisions.js';
import type { DecisionRequest } from '../policy/types.js';
import type { L7Operation } from './pending-request.js';

export type Probe = Required<Pick<DecisionRequest, 'method' | 'path' | 'body'>> & Pick<DecisionRequest, 'headers'>;

export function operationProbes(op: L7Operation, path = '/'): Probe[] {
  if (op.kind === 'graphql') {
    const name = op.operationName ? ` ${op.operationName}` : '';
    const query = `${op.operationType}${name} { __typename }`;
    return [{ method: 'POST', path, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query }) }];
  }
  const call: Record<string, unknown> = { jsonrpc: '2.0', id: 0, method: op.method };
  if (op.kind === 'mcp' && op.tool !== undefined) call.params = { name: op.tool, arguments: {} };
  const body = JSON.stringify(call);
  if (op.kind === 'json-rpc') return [{ method: 'POST', path, headers: { 'Content-Type': 'application/json' }, body }];
  return MCP_VERSIONS.map((version) => ({
    method: 'POST',
    path,
    headers: { 'Content-Type': 'application/json', 'MCP-Protocol-Version': version },
    body,
  }));
}
