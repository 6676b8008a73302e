// Commands that talk to a running core through its feed (found via the state dir's runtime file + token).
import type { Command, CommandIO, ParsedArgs } from '../command.js';
import { UsageError } from '../command.js';
import { STATE_DIR_FLAG, stateDirOf } from './core-flags.js';
import { FeedClient } from '../../gateway/feed/feed-client.js';
import type { PendingRequest } from '../../core/inbox/pending-request.js';
import { auditWarning, type Health, type RevisionSummary } from '../../gateway/feed/protocol.js';
import { sanitizeForTerminal, sanitizeMultiline } from '../../core/text/sanitize.js';

export const JSON_FLAG = { json: { type: 'boolean' as const, description: 'Machine-readable JSON output' } };
const ALLOW_UNKNOWN_FLAG = {
  'allow-unknown-binary': {
    type: 'boolean' as const,
    description: 'Also approve requests whose binary is unknown: that lets ANY program the core cannot identify reach the destination',
  },
};

export async function withFeed<T>(args: ParsedArgs, io: CommandIO, fn: (client: FeedClient) => Promise<T>): Promise<T> {
  // connectToCore checks that core.json names a live core that owns its port before the token is sent.
  const connected = await FeedClient.connectToCore(stateDirOf(args, io.env));
  connected.client.on('warning', (warning) => io.stderr.write(`openshell-term: ${sanitizeForTerminal(warning)}\n`));
  try {
    return await fn(connected.client);
  } finally {
    // An audit log that cannot be written is said on every command, as of after it ran (a decision retries it).
    if (connected.hello.health.audit?.writable === false) {
      const health = await connected.client.command<Health>({ type: 'health' }).catch(() => undefined);
      const audit = health?.audit ?? connected.hello.health.audit;
      if (!audit.writable) io.stderr.write(`openshell-term: warning: ${sanitizeForTerminal(auditWarning(audit))}\n`);
    }
    connected.client.close();
  }
}

export function requireId(args: ParsedArgs): string {
  const [id, extra] = args.positionals;
  if (!id) throw new UsageError('an ID is required (see: openshell-term requests)');
  if (extra) throw new UsageError(`unexpected argument '${extra}'`);
  return id;
}

function printRequests(list: PendingRequest[], io: CommandIO) {
  if (list.length === 0) return void io.stdout.write('no requests\n');
  const rows = list.map((r) => [
    r.id,
    r.status + (r.held ? ` (held ${r.held})` : ''),
    `${r.host}:${r.port}`,
    r.binary,
    String(r.hits),
    r.samples[0] ? `${r.samples[0].method} ${r.samples[0].path}` : '',
  ]);
  const header = ['ID', 'STATUS', 'DESTINATION', 'BINARY', 'HITS', 'SAMPLE'];
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
  // What approving would mean, where it is more than the row says (an unknown binary).
  for (const r of list) if (r.warning) io.stdout.write(`${sanitizeForTerminal(`${r.id}: ${r.warning}`)}\n`);
}

export const out = (io: CommandIO, args: ParsedArgs, data: unknown, human: string) =>
  io.stdout.write(args.flags.json ? `${JSON.stringify(data, null, 2)}\n` : `${sanitizeMultiline(human)}\n`);

export const requestsCommand: Command = {
  path: ['requests'],
  usage: 'requests [--json] [--all] [--state-dir DIR]',
  summary: 'List pending requests of the running core (--all: decided ones too).',
  flags: { ...STATE_DIR_FLAG, ...JSON_FLAG, all: { type: 'boolean', description: 'Include approved, rejected and expired requests' } },
  async run(args, io) {
    const list = await withFeed(args, io, (c) => c.allRequests());
    const shown = args.flags.all ? list : list.filter((r) => r.status === 'pending');
    if (args.flags.json) io.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    else printRequests(shown, io);
    return 0;
  },
};

export const approveCommand: Command = {
  path: ['approve'],
  usage: 'approve ID [--for 10m | --once] [--allow-unknown-binary] [--state-dir DIR] [--json]',
  summary: 'Approve a request for this session (or once, or for a while). Held connections proceed at once.',
  flags: {
    ...STATE_DIR_FLAG,
    ...JSON_FLAG,
    for: { type: 'string', value: 'DURATION', description: 'Approval lifetime, e.g. 10m or 2h (default: the session)' },
    once: { type: 'boolean', description: 'Only the connections waiting now' },
    ...ALLOW_UNKNOWN_FLAG,
  },
  allowPositionals: true,
  async run(args, io) {
    const id = requireId(args);
    if (args.flags.once && args.flags.for) throw new UsageError('--once and --for are mutually exclusive');
    const lifetime = args.flags.once ? 'once' : ((args.flags.for as string | undefined) ?? 'session');
    const allowUnknownBinary = Boolean(args.flags['allow-unknown-binary']);
    const r = await withFeed(args, io, (c) => c.command<PendingRequest>({ type: 'approve', id, lifetime, allowUnknownBinary }));
    out(io, args, r, `approved ${r.id} ${r.host}:${r.port} (${r.binary}) for ${lifetime}`);
    return 0;
  },
};

export const rejectCommand: Command = {
  path: ['reject'],
  usage: 'reject ID [--reason TEXT] [--state-dir DIR] [--json]',
  summary: 'Reject a request; identical requests are refused for the rest of the session.',
  flags: { ...STATE_DIR_FLAG, ...JSON_FLAG, reason: { type: 'string', value: 'TEXT', description: 'Why (shown to the agent in the 403)' } },
  allowPositionals: true,
  async run(args, io) {
    const id = requireId(args);
    const r = await withFeed(args, io, (c) =>
      c.command<PendingRequest>({ type: 'reject', id, reason: args.flags.reason as string | undefined }),
    );
    out(io, args, r, `rejected ${r.id} ${r.host}:${r.port}`);
    return 0;
  },
};

export const approveAllCommand: Command = {
  path: ['approve-all'],
  usage: 'approve-all [--for 10m] [--allow-unknown-binary] [--state-dir DIR] [--json]',
  summary: 'Approve every pending request for this session.',
  flags: {
    ...STATE_DIR_FLAG,
    ...JSON_FLAG,
    for: { type: 'string', value: 'DURATION', description: 'Approval lifetime (default: the session)' },
    ...ALLOW_UNKNOWN_FLAG,
  },
  async run(args, io) {
    const lifetime = (args.flags.for as string | undefined) ?? 'session';
    const allowUnknownBinary = Boolean(args.flags['allow-unknown-binary']);
    const list = await withFeed(args, io, (c) => c.command<PendingRequest[]>({ type: 'approve-all', lifetime, allowUnknownBinary }));
    out(io, args, list, `approved ${list.length} request${list.length === 1 ? '' : 's'}`);
    return 0;
  },
};

export const undoCommand: Command = {
  path: ['undo'],
  usage: 'undo ID [--state-dir DIR] [--json]',
  summary: 'Revoke a session approval (or lift a rejection); the request asks again next time.',
  flags: { ...STATE_DIR_FLAG, ...JSON_FLAG },
  allowPositionals: true,
  async run(args, io) {
    const id = requireId(args);
    const r = await withFeed(args, io, (c) => c.command<PendingRequest>({ type: 'undo', id }));
    out(io, args, r, `undid the decision on ${r.id} ${r.host}:${r.port}; it is ${r.status} again`);
    return 0;
  },
};

export const policyGetCommand: Command = {
  path: ['policy', 'get'],
  usage: 'policy get [--rev N] [--full] [--state-dir DIR] [--json]',
  summary: "Print the running core's effective policy (or revision N): a header, then the YAML with --full.",
  flags: {
    ...STATE_DIR_FLAG,
    ...JSON_FLAG,
    rev: { type: 'string', value: 'N', description: 'A past revision' },
    full: { type: 'boolean', description: 'Include the policy YAML' },
  },
  async run(args, io) {
    const rev = args.flags.rev === undefined ? undefined : Number(args.flags.rev);
    if (rev !== undefined && !Number.isInteger(rev)) throw new UsageError('--rev expects a revision number');
    const r = await withFeed(args, io, (c) => c.command<RevisionSummary & { yaml: string }>({ type: 'policy.get', rev }));
    const header = `Version: ${r.number}\nHash: sha256:${r.sha256}\nCause: ${r.cause} (${r.detail})\nTime: ${new Date(r.time).toISOString()}`;
    out(io, args, r, args.flags.full ? `${header}\n---\n${r.yaml}` : header);
    return 0;
  },
};

export const policyRevisionsCommand: Command = {
  path: ['policy', 'revisions'],
  usage: 'policy revisions [--state-dir DIR] [--json]',
  summary: "List the running core's policy revisions.",
  flags: { ...STATE_DIR_FLAG, ...JSON_FLAG },
  async run(args, io) {
    const list = await withFeed(args, io, (c) => c.command<RevisionSummary[]>({ type: 'revisions' }));
    const human = list
      .map((r) => `${String(r.number).padStart(4)}  ${new Date(r.time).toISOString()}  ${r.sha256.slice(0, 12)}  ${r.cause}: ${r.detail}`)
      .join('\n');
    out(io, args, list, human);
    return 0;
  },
};
