// The operator's decisions from a shell: requests, approve, reject, undo, approve-all, promote, policy
// get/revisions. Each goes through the Gateway interface, so it works the same on the core of a state dir
// (over its feed) and on an OpenShell gateway (--gateway NAME / --endpoint URL). Failures carry their
// error code out as the exit code (src/cli/exit-codes.ts).
import { join } from 'node:path';
import { parseLifetime } from '../../core/approvals/session-approvals.js';
import { sanitizeForTerminal } from '../../core/text/sanitize.js';
import { GatewayError } from '../../gateway/errors.js';
import type { Gateway, InboxRequest, Lifetime, PromoteOutcome, PromoteRequest } from '../../gateway/gateway.js';
import type { GatewaySession } from '../../gateway/gateway-session.js';
import { builtinNamesOf, previewPromote, promoteDefaults } from '../../gateway/promote-draft.js';
import type { Command, CommandIO, ParsedArgs } from '../command.js';
import { UsageError } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { stateDirOf } from './core-flags.js';
import { JSON_FLAG, out, requireId } from './feed-commands.js';
import { sandboxFlag, TARGET_FLAGS, TARGET_USAGE, withSession } from './gateway-target.js';

const FLAGS = { ...TARGET_FLAGS, ...JSON_FLAG };

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
  return withSession(args, io.env, async (s) => {
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
    return withSession(args, io.env, async (s) => {
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
  usage: `approve ID [--for 10m | --once] [--json] ${TARGET_USAGE}`,
  summary:
    'Approve a request (on a core: for this session, once, or a while; on a gateway: a new policy revision). Held connections proceed.',
  flags: {
    ...FLAGS,
    for: { type: 'string', value: 'DURATION', description: 'Approval lifetime, e.g. 10m or 2h (default: the session)' },
    once: { type: 'boolean', description: 'Only the connections waiting now' },
  },
  allowPositionals: true,
  run: (args, io) =>
    decide(args, io, async (s, r) => {
      const lifetime = lifetimeFlag(args, s.gateway);
      await s.gateway.approve(r.id, lifetime);
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
  usage: `approve-all [--for 10m] [--json] ${TARGET_USAGE}`,
  summary: 'Approve every pending request (of one sandbox with --sandbox).',
  flags: { ...FLAGS, for: { type: 'string', value: 'DURATION', description: 'Approval lifetime (default: the session)' } },
  async run(args, io) {
    return withSession(args, io.env, async (s) => {
      const lifetime = lifetimeFlag(args, s.gateway);
      const sandbox = sandboxFlag(args) === undefined ? undefined : s.sandbox(sandboxFlag(args));
      const ids = s
        .list()
        .filter((r) => r.status === 'pending' && (!sandbox || r.sandbox === sandbox))
        .map((r) => r.id);
      // What the gateway would approve and skip (the console's dialog lists the same): only those it approves
      // are sent, and each skip is said with why, instead of failing half-way through.
      const preview = ids.length > 0 ? await s.gateway.approveAllPreview(ids) : { approve: [], skip: [] };
      const chosen = preview.approve.map((r) => r.id);
      if (chosen.length > 0) await s.gateway.approveAll(chosen, lifetime);
      const approved = chosen.map((id) => s.find(id));
      const skipped = preview.skip.filter((k) => k.why !== 'not-pending');
      const said = skipped.length
        ? `; skipped ${skipped.map((k) => `${k.request.id} ${k.request.host}:${k.request.port} (${k.why})`).join(', ')}`
        : '';
      out(io, args, approved, `approved ${approved.length} request${approved.length === 1 ? '' : 's'}${said}`);
      // Nothing approved because everything was skipped: the state forbids it now (failed_precondition).
      return skipped.length > 0 && approved.length === 0 ? EXIT_CODES.failed_precondition : 0;
    });
  },
};

export const promoteCommand: Command = {
  path: ['promote'],
  usage: `promote ID --preset NAME [--access read-only|read-write|full] [--any-binary] [--description TEXT] [--dry-run] [--json] ${TARGET_USAGE}`,
  summary: 'Turn a request into a persisted NemoClaw-format preset (this host and port, pinned to its binary) and apply it at once.',
  flags: {
    ...FLAGS,
    'dry-run': { type: 'boolean', description: 'Show what would change, write nothing' },
    preset: { type: 'string', value: 'NAME', description: 'Preset name (RFC 1123 label, not a built-in name)' },
    access: {
      type: 'string',
      value: 'ACCESS',
      description: 'read-only, read-write or full (default: read-only for GET/HEAD/OPTIONS or a tunnel, else read-write)',
    },
    'any-binary': { type: 'boolean', description: 'Allow every executable, not just the one that asked' },
    description: { type: 'string', value: 'TEXT', description: 'Preset description' },
  },
  allowPositionals: true,
  async run(args, io) {
    const id = requireId(args);
    const name = args.flags.preset as string | undefined;
    if (!name) throw new UsageError('--preset NAME is required');
    const access = args.flags.access as PromoteRequest['access'] | undefined;
    if (access !== undefined && !['read-only', 'read-write', 'full'].includes(access))
      throw new UsageError(`--access must be read-only, read-write or full, got '${access}'`);
    return withSession(args, io.env, async (s) => {
      if (!s.gateway.capabilities.promote)
        throw new GatewayError('unimplemented', `${s.gateway.info.name} cannot promote requests to presets`);
      const r = s.find(id, sandboxFlag(args));
      const request: PromoteRequest = {
        ...promoteDefaults(r),
        name,
        description: args.flags.description as string | undefined,
        ...(access ? { access } : {}),
        anyBinary: Boolean(args.flags['any-binary']),
      };
      let result: PromoteOutcome;
      if (!args.flags['dry-run']) result = await s.gateway.promote(r.id, request);
      else if (s.gateway.capabilities.promoteDryRun) result = await s.gateway.promote(r.id, { ...request, dryRun: true });
      else result = await previewHere(s.gateway, r, request, stateDirOf(args, io.env));
      out(
        io,
        args,
        result,
        result.dryRun
          ? `would write ${result.file}:\n${result.yaml}`
          : `promoted ${r.id} to preset '${result.name}': wrote ${result.file} and applied it`,
      );
      return 0;
    });
  },
};

/** A dry run for a gateway that cannot do one: the same preview the console shows, of the local file it would write. */
async function previewHere(gateway: Gateway, r: InboxRequest, request: PromoteRequest, stateDir: string): Promise<PromoteOutcome> {
  const preview = previewPromote(r, request, builtinNamesOf(await gateway.presets(r.sandbox)));
  if (preview.error) throw new GatewayError(/built-in/.test(preview.error) ? 'conflict' : 'invalid_argument', preview.error);
  return { name: request.name, file: join(stateDir, 'presets', `${request.name}.yaml`), yaml: preview.yaml, dryRun: true };
}

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
    return withSession(args, io.env, async (s) => {
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
    return withSession(args, io.env, async (s) => {
      const list = await s.gateway.revisions(s.sandbox(sandboxFlag(args)));
      const human = list
        .map((r) => `${String(r.number).padStart(4)}  ${new Date(r.time).toISOString()}  ${r.sha256.slice(0, 12)}  ${r.cause}: ${r.detail}`)
        .join('\n');
      out(io, args, list, human);
      return 0;
    });
  },
};
