// What the UI reducer asks the world to do, as data (it does no I/O itself), and how each gateway call's
// outcome reads on the status line. The binding hook performs effects and feeds the outcomes back as
// actions: the reducer stays a pure function, testable event by event.
import { ERROR_MEANINGS, type ErrorInfo } from '../../gateway/errors.js';
import type { ApprovePreview, ChunkNarrowing, Gateway, Lifetime, PromoteOutcome, PromoteRequest } from '../../gateway/gateway.js';
import { describeNarrowing } from './edit-form.js';
import { ALL_WORKSPACES } from '../../gateway/operator-views.js';

export type GatewayCall =
  /** `subject` names the request on the status line ("pypi.org:443"); `revision`: the gateway has no lifetimes. */
  | { op: 'approve'; id: string; subject: string; lifetime: Lifetime; revision: boolean }
  | { op: 'reject'; id: string; subject: string; reason?: string }
  | { op: 'approveAll'; ids: string[]; lifetime: Lifetime; revision: boolean }
  /** What approve-all would do (the answer opens the confirm dialog). */
  | { op: 'previewApproveAll'; ids: string[]; lifetime: Lifetime }
  | { op: 'reapprove'; id: string; subject: string; lifetime: Lifetime; revision: boolean }
  /** Narrow the proposal, then approve what is left. */
  | { op: 'editApprove'; id: string; subject: string; change: ChunkNarrowing; lifetime: Lifetime; revision: boolean }
  | { op: 'clearDrafts'; sandbox: string }
  | { op: 'undo'; id: string }
  | { op: 'promote'; id: string; request: PromoteRequest }
  | { op: 'addPreset'; name: string; sandbox?: string }
  | { op: 'removePreset'; name: string; sandbox?: string }
  | { op: 'applyTier'; tier: string; sandbox?: string }
  | { op: 'selectWorkspace'; name: string }
  /** `raw` as typed (already checked against the setting's type); null deletes the key. */
  | { op: 'setSetting'; scope: 'global' | 'sandbox'; sandbox?: string; key: string; raw: string | null };

export type Effect =
  | { type: 'call'; call: GatewayCall }
  | { type: 'switchGateway'; name: string }
  /** Put text on the terminal's clipboard (OSC 52). */
  | { type: 'copy'; text: string }
  | { type: 'quit' };

/** Performs a call on the gateway; resolves with what the gateway answered. */
export function performCall(gateway: Gateway, call: GatewayCall): Promise<unknown> {
  switch (call.op) {
    case 'approve':
      return gateway.approve(call.id, call.lifetime);
    case 'reject':
      return gateway.reject(call.id, call.reason);
    case 'approveAll':
      return gateway.approveAll(call.ids, call.lifetime);
    case 'previewApproveAll':
      return gateway.approveAllPreview(call.ids);
    case 'reapprove':
      return gateway.reapprove(call.id, call.lifetime);
    case 'editApprove':
      return gateway.editChunk(call.id, call.change).then(() => gateway.approve(call.id, call.lifetime));
    case 'clearDrafts':
      return gateway.clearDrafts(call.sandbox);
    case 'undo':
      return gateway.undo(call.id);
    case 'promote':
      return gateway.promote(call.id, call.request);
    case 'addPreset':
      return gateway.addPreset(call.name, call.sandbox);
    case 'removePreset':
      return gateway.removePreset(call.name, call.sandbox);
    case 'applyTier':
      return gateway.applyTier(call.tier, call.sandbox);
    case 'selectWorkspace':
      return gateway.selectWorkspace(call.name);
    case 'setSetting':
      return gateway.setSetting(call.scope === 'global' ? 'global' : { sandbox: call.sandbox }, call.key, call.raw);
  }
}

/** How a workspace is named on screen. */
export const workspaceLabel = (name: string) => (name === ALL_WORKSPACES ? 'all workspaces' : `workspace ${name}`);

/** Where a setting lives, as a dialog or the status line says it. */
export const settingPlace = (call: { scope: 'global' | 'sandbox'; sandbox?: string }) =>
  call.scope === 'global' ? 'gateway-global' : `sandbox ${call.sandbox ?? ''}`.trim();

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The status line after a call succeeded. */
export function describeDone(call: GatewayCall, result: unknown): string {
  switch (call.op) {
    case 'approve':
      return `approved ${call.id} ${call.subject} (${call.revision ? 'a new policy revision' : call.lifetime})`;
    case 'reject':
      return `rejected ${call.id} ${call.subject}`;
    case 'approveAll':
      return `approved ${plural(call.ids.length, 'request')} (${call.revision ? 'as policy revisions' : call.lifetime})`;
    case 'previewApproveAll': {
      const p = result as ApprovePreview;
      return `approve-all: ${p.approve.length} to approve, ${p.skip.length} skipped`;
    }
    case 'reapprove':
      return `re-approved ${call.id} ${call.subject} (${call.revision ? 'a new policy revision' : call.lifetime})`;
    case 'editApprove':
      return `approved ${call.id} ${call.subject} narrowed to ${describeNarrowing(call.change)}`;
    case 'clearDrafts':
      return `cleared ${plural(result as number, 'pending proposal')} of ${call.sandbox}`;
    case 'undo':
      return `undid ${call.id}`;
    case 'promote': {
      const r = result as PromoteOutcome;
      return `promoted ${call.id} to preset '${r.name}': wrote ${r.file} and applied it`;
    }
    case 'addPreset':
      return `applied preset '${call.name}'`;
    case 'removePreset':
      return `removed preset '${call.name}'`;
    case 'applyTier': {
      const added = result as string[];
      return added.length > 0 ? `tier ${call.tier}: applied ${added.join(', ')}` : `tier ${call.tier}: already applied`;
    }
    case 'selectWorkspace':
      return `showing ${workspaceLabel(call.name)}`;
    case 'setSetting':
      return call.raw === null ? `deleted ${call.key} (${settingPlace(call)})` : `set ${call.key} = ${call.raw} (${settingPlace(call)})`;
  }
}

const VERBS: { [K in GatewayCall['op']]: (call: Extract<GatewayCall, { op: K }>) => string } = {
  approve: (c) => `approve ${c.id}`,
  reject: (c) => `reject ${c.id}`,
  approveAll: (c) => `approve ${plural(c.ids.length, 'request')}`,
  previewApproveAll: () => 'approve-all',
  reapprove: (c) => `re-approve ${c.id}`,
  editApprove: (c) => `edit and approve ${c.id}`,
  clearDrafts: (c) => `clear the pending proposals of ${c.sandbox}`,
  undo: (c) => `undo ${c.id}`,
  promote: (c) => `promote ${c.id}`,
  addPreset: (c) => `preset add ${c.name}`,
  removePreset: (c) => `preset remove ${c.name}`,
  applyTier: (c) => `tier ${c.tier}`,
  selectWorkspace: (c) => `switch to ${workspaceLabel(c.name)}`,
  setSetting: (c) => `${c.raw === null ? 'delete' : 'set'} ${c.key} (${settingPlace(c)})`,
};

/** The status line after a call failed: what was tried, why, and for some kinds what to do. */
export function describeFailed(call: GatewayCall, error: ErrorInfo): string {
  const verb = (VERBS[call.op] as (c: GatewayCall) => string)(call);
  const hint =
    error.code === 'stale_review' || error.code === 'unavailable' || error.code === 'unauthenticated'
      ? ` (${ERROR_MEANINGS[error.code]})`
      : '';
  return `${verb} failed: ${error.message}${hint}`;
}
