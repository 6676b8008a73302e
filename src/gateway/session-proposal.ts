// What approving a request on a core adds: a session approval, as the network_policies entry the core
// would layer in. Attached to inbox requests by the adapters that reach a core (embedded, feed), so the
// console shows "what approving adds" the same way for a core and for a gateway's draft chunk.
import { approvalKey, approvalRule } from '../core/approvals/session-approvals.js';
import type { InboxRequest } from './gateway.js';

export function withSessionProposal(r: InboxRequest): InboxRequest {
  return {
    ...r,
    proposal: {
      ruleName: approvalKey(r.id),
      // An operation entry (an MCP tool, a JSON-RPC method, a GraphQL operation) approves exactly that operation.
      rule: approvalRule({
        requestId: r.id,
        host: r.host,
        port: r.port,
        binary: r.binary,
        approvedAt: 0,
        by: 'operator',
        ...(r.operation ? { operation: r.operation, operationPath: r.operationPath } : {}),
      }),
      securityNotes: '',
      validationResult: '',
      applicationError: '',
    },
  };
}
