// The operator's decisions from a shell: requests, approve, reject, undo, approve-all, policy
// get/revisions (promote: promote-command.ts). Each goes through the Gateway interface, so it works the same on the core of a state dir
// (over its feed) and on an OpenShell gateway (--gateway NAME / --endpoint URL). Failures carry their
// error code out as the exit code (src/cli/exit-codes.ts).
import { parseLifetime } from '../../core/approvals/session-approvals.js';
import { sanitizeForTerminal } from '../../core/text/sanitize.js';
import { GatewayError } from '../../gateway/errors.js';
import type { ApproveOptions, Gateway, InboxRequest, Lifetime } from '../../gateway/gateway.js';
import type { GatewaySession } from '../../gateway/gateway-session.js';
import type { Command, CommandIO, ParsedArgs } from '../command.js';
import { UsageError } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { JSON_FLAG, out, requireId } from './feed-commands.js';
import { sandboxFlag, TARGET_FLAGS, TARGET_USAGE, withSession } from './gateway-target.js';

export const FLAGS = { ...TARGET_FLAGS, ...JSON_FLAG };
const ALLOW_UNKNOWN_FLAG = {
  'allow-unknown-binary': {
    type: 'boolean' as const,
    description: 'Also approve requests whose binary is unknown: that lets ANY program the gateway cannot identify reach the destination',
  },
};
const approveOptions = (args: ParsedArgs): ApproveOptions => ({ allowUnknownBinary: Boolean(args.flags['allow-unknown-binary']) });

function printRequests(list: InboxRequest[], io: CommandIO, withSandbox: boolean) {
  if (list.length === 0) return void io.stdout.write('no requests\n');
  const header = ['ID', 'STATUS', 'DESTINATION', 'BINARY', 'HITS', 'SAMPLE', ...(withSandbox ? ['SANDBOX'] : [])];
  const rows = list.map((r) => [
    r.id,
    r.status + (r.held ? ` (held ${r.held})` : ''),
    `${r.host}:${r.port}`,
    r.binary,
    String(r.hits),
    r.samples[0] ? `${r.samples[0].method} ${r.samples[0].path}` : '',
    ...(withSandbox ? [r.sandbox] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows])
    io.stdout.write(
      `${sanitizeForTerminal(
        row
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      )}\n`,
    );
  // What approving would mean, where it is more than the row says (an unidentified binary).
  for (const r of list) if (r.warning) io.stdout.write(`${sanitizeForTerminal(`${r.id}: ${r.warning}`)}\n`);
}

/** --for / --once as a lifetime; a gateway without lifetimes (an approval is a revision) refuses them. */
function lifetimeFlag(args: ParsedArgs, gateway: Gateway): Lifetime {
  if (args.flags.once && args.flags.for) throw new UsageError('--once and --for are mutually exclusive');
  const asked = args.flags.once ? 'once' : (args.flags.for as string | undefined);
  if (asked !== undefined && parseLifetime(asked) === undefined)
    throw new UsageError(`invalid lifetime '${asked}'; use once, session, or N minutes like 10m`);
  const offered = gateway.capabilities.lifetimes;
  if (offered.length === 0) {
    if (asked !== undefined)
      throw new GatewayError(
        'unimplemented',
        `an approval on ${gateway.info.name} is a policy revision: it has no lifetime (undo takes it back)`,
      );
    return 'session';
  }
  return (asked ?? offered[0]) as Lifetime;
}

const forLifetime = (gateway: Gateway, lifetime: Lifetime) =>
  gateway.capabilities.lifetimes.length > 0 ? `for ${lifetime}` : `as a new policy revision on ${gateway.info.name}`;

/** Runs a decision on one request and answers with the request as it is afterwards. */
async function decide(args: ParsedArgs, io: CommandIO, act: (s: GatewaySession, r: InboxRequest) => Promise<string>): Promise<number> {
  const id = requireId(args);
  return withSession(args, io, async (s) => {
    const r = s.find(id, sandboxFlag(args));
    const human = await act(s, r);
    out(io, args, s.find(r.id), human);
    return 0;
  });
}

export const requestsCommand: Command = {
  path: ['requests'],
  usage: `requests [--json] [--all] ${TARGET_USAGE}`,
  summary: 'List pending requests of the running core or a gateway (--all: decided ones too).',
  flags: { ...FLAGS, all: { type: 'boolean', description: 'Include approved, rejected and expired requests' } },
  async run(args, io) {
    return withSession(args, io, async (s) => {
      const sandbox = sandboxFlag(args) === undefined ? undefined : s.sandbox(sandboxFlag(args));
      const shown = s.list().filter((r) => (args.flags.all || r.status === 'pending') && (!sandbox || r.sandbox === sandbox));
      if (args.flags.json) io.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
      else printRequests(shown, io, s.sandboxes.length > 1);
      return 0;
    });
  },
};

export const approveCommand: Command = {
  path: ['approve'],
  usage: `approve ID [--for 10m | --once] [--allow-unknown-binary] [--json] ${TARGET_USAGE}`,
  summary:
    'Approve a request (on a core: for this session, once, or a while; on a gateway: a new policy revision). Held connections proceed.',
  flags: {
    ...FLAGS,
    for: { type: 'string', value: 'DURATION', description: 'Approval lifetime, e.g. 10m or 2h (default: the session)' },
    once: { type: 'boolean', description: 'Only the connections waiting now' },
    ...ALLOW_UNKNOWN_FLAG,
  },
  allowPositionals: true,
  run: (args, io) =>
    decide(args, io, async (s, r) => {
      const lifetime = lifetimeFlag(args, s.gateway);
      await s.gateway.approve(r.id, lifetime, approveOptions(args));
      return `approved ${r.id} ${r.host}:${r.port} (${r.binary}) ${forLifetime(s.gateway, lifetime)}`;
    }),
};

export const rejectCommand: Command = {
  path: ['reject'],
  usage: `reject ID [--reason TEXT] [--json] ${TARGET_USAGE}`,
  summary: 'Reject a request; identical requests are refused for the rest of the session.',
  flags: { ...FLAGS, reason: { type: 'string', value: 'TEXT', description: 'Why (shown to the agent in the 403)' } },
  allowPositionals: true,
  run: (args, io) =>
    decide(args, io, async (s, r) => {
      await s.gateway.reject(r.id, args.flags.reason as string | undefined);
      return `rejected ${r.id} ${r.host}:${r.port}`;
    }),
};

export const undoCommand: Command = {
  path: ['undo'],
  usage: `undo ID [--json] ${TARGET_USAGE}`,
  summary: 'Revoke an approval (or lift a rejection); the request asks again next time.',
  flags: FLAGS,
  allowPositionals: true,
  run: (args, io) =>
    decide(args, io, async (s, r) => {
      await s.gateway.undo(r.id);
      return `undid the decision on ${r.id} ${r.host}:${r.port}; it is ${s.find(r.id).status} again`;
    }),
};

export const approveAllCommand: Command = {
  path: ['approve-all'],
  usage: `approve-all [--for 10m] [--allow-unknown-binary] [--json] ${TARGET_USAGE}`,
  summary: 'Approve every pending request (of one sandbox with --sandbox) as one change: one policy revision.',
  flags: {
    ...FLAGS,
    for: { type: 'string', value: 'DURATION', description: 'Approval lifetime (default: the session)' },
    ...ALLOW_UNKNOWN_FLAG,
  },
  async run(args, io) {
    return withSession(args, io, async (s) => {
      const lifetime = lifetimeFlag(args, s.gateway);
      const sandbox = sandboxFlag(args) === undefined ? undefined : s.sandbox(sandboxFlag(args));
      const ids = s
        .list()
        .filter((r) => r.status === 'pending' && (!sandbox || r.sandbox === sandbox))
        .map((r) => r.id);
      // What the gateway would approve and skip (the console's dialog lists the same): only those it approves
      // are sent (with --allow-unknown-binary, the unidentified and security-flagged ones too), and each skip
      // is said with why on stderr, instead of failing half-way through.
      const options = approveOptions(args);
      const preview = ids.length > 0 ? await s.gateway.approveAllPreview(ids) : { approve: [], skip: [] };
      const liftable = new Set(['unknown-binary', 'security-flagged']);
      const chosen = [
        ...preview.approve.map((r) => r.id),
        ...(options.allowUnknownBinary ? preview.skip.filter((k) => liftable.has(k.why)).map((k) => k.request.id) : []),
      ];
      const { skipped: refused } = chosen.length > 0 ? await s.gateway.approveAll(chosen, lifetime, options) : { skipped: [] };
      const notSent = preview.skip.filter((k) => k.why !== 'not-pending' && !chosen.includes(k.request.id));
      const skipped = [
        ...notSent.map((k) => ({ id: k.request.id, reason: k.why })),
        ...refused.map((k) => ({ id: k.id, reason: k.reason })),
      ];
      for (const k of skipped) {
        const r = s.find(k.id);
        io.stderr.write(`openshell-term: warning: ${sanitizeForTerminal(`skipped ${r.id} ${r.host}:${r.port}: ${k.reason}`)}\n`);
      }
      const left = new Set(refused.map((k) => k.id));
      const approved = chosen.filter((id) => !left.has(id)).map((id) => s.find(id));
      out(io, args, approved, `approved ${approved.length} request${approved.length === 1 ? '' : 's'}`);
      // Nothing approved because everything was skipped: the state forbids it now (failed_precondition).
      return skipped.length > 0 && approved.length === 0 ? EXIT_CODES.failed_precondition : 0;
    });
  },
};

export const policyGetCommand: Command = {
  path: ['policy', 'get'],
  usage: `policy get [--rev N] [--full] [--json] ${TARGET_USAGE}`,
  summary: 'Print the effective policy of the running core or a gateway sandbox (or revision N): a header, then the YAML with --full.',
  flags: {
    ...FLAGS,
    rev: { type: 'string', value: 'N', description: 'A past revision' },
    full: { type: 'boolean', description: 'Include the policy YAML' },
  },
  async run(args, io) {
    const rev = args.flags.rev === undefined ? undefined : Number(args.flags.rev);
    if (rev !== undefined && !Number.isInteger(rev)) throw new UsageError('--rev expects a revision number');
    return withSession(args, io, async (s) => {
      const view = await s.gateway.policy(rev, s.sandbox(sandboxFlag(args)));
      const r = view.revision;
      const header = `Version: ${r.number}\nHash: sha256:${r.sha256}\nCause: ${r.cause} (${r.detail})\nTime: ${new Date(r.time).toISOString()}`;
      out(io, args, { ...r, yaml: view.yaml }, args.flags.full ? `${header}\n---\n${view.yaml}` : header);
      return 0;
    });
  },
};

export const policyRevisionsCommand: Command = {
  path: ['policy', 'revisions'],
  usage: `policy revisions [--json] ${TARGET_USAGE}`,
  summary: 'List the policy revisions of the running core or a gateway sandbox.',
  flags: FLAGS,
  async run(args, io) {
    return withSession(args, io, async (s) => {
      const list = await s.gateway.revisions(s.sandbox(sandboxFlag(args)));
      const human = list
        .map((r) => `${String(r.number).padStart(4)}  ${new Date(r.time).toISOString()}  ${r.sha256.slice(0, 12)}  ${r.cause}: ${r.detail}`)
        .join('\n');
      out(io, args, list, human);
      return 0;
    });
  },
};
