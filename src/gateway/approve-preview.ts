// What approve-all does with an enforcement core's requests, said before it does it: the core approves
// every chosen pending request in one change (one revision) and skips those whose binary it could not
// identify (approving one would let any unidentified program through). The embedded and feed adapters
// preview from the core's own list with this; gRPC gateways have their own rules (grpc-gateway.ts).
import { UNKNOWN_BINARY } from '../core/inbox/pending-request.js';
import type { ApprovePreview, InboxRequest } from './gateway.js';

export function previewCoreApproveAll(requests: readonly InboxRequest[], ids: readonly string[]): ApprovePreview {
  const byId = new Map(requests.map((r) => [r.id, r]));
  const preview: ApprovePreview = { approve: [], skip: [] };
  for (const id of new Set(ids)) {
    const request = byId.get(id);
    if (!request) continue;
    if (request.status !== 'pending') preview.skip.push({ request, why: 'not-pending' });
    else if (request.binary === UNKNOWN_BINARY) preview.skip.push({ request, why: 'unknown-binary' });
    else preview.approve.push(request);
  }
  return preview;
}
