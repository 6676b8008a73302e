// `promote ID --preset NAME`: a request becomes a persisted NemoClaw-format preset (this host and port,
// pinned to its binary), merged into the preset of that name when it exists (never silently replacing it:
// --if-exists says merge, replace or refuse), and applied at once. A tunnel is inspected unless --tls skip
// keeps it blind, and the output says which. --dry-run shows the diff and writes nothing. Through the
// Gateway interface, like every decision command.
import { join } from 'node:path';
import { GatewayError } from '../../gateway/errors.js';
import type { Gateway, InboxRequest, PromoteOrder, PromoteOutcome, PromoteRequest } from '../../gateway/gateway.js';
import { builtinNamesOf, previewPromote, promoteDefaults } from '../../gateway/promote-draft.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { stateDirOf } from './core-flags.js';
import { FLAGS } from './decision-commands.js';
import { out, requireId } from './feed-commands.js';
import { sandboxFlag, TARGET_USAGE, withSession } from './gateway-target.js';

const ACCESS = ['read-only', 'read-write', 'full'] as const;
const IF_EXISTS = ['merge', 'replace', 'refuse'] as const;
const TLS = ['inspect', 'skip'] as const;

/** A flag that must be one of `choices` when given. */
function choice<T extends string>(value: unknown, flag: string, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T))
    throw new UsageError(`--${flag} must be ${choices.join(', ').replace(/, ([^,]*)$/, ' or $1')}, got '${value}'`);
  return value as T;
}

export const promoteCommand: Command = {
  path: ['promote'],
  usage: `promote ID --preset NAME [--access read-only|read-write|full] [--any-binary] [--description TEXT] [--if-exists merge|replace|refuse] [--tls inspect|skip] [--dry-run] [--json] ${TARGET_USAGE}`,
  summary:
    'Turn a request into a persisted NemoClaw-format preset (this host and port, pinned to its binary), merged into the preset if it exists, and apply it at once.',
  flags: {
    ...FLAGS,
    'dry-run': { type: 'boolean', description: 'Print the diff against the preset as it is; write nothing' },
    preset: { type: 'string', value: 'NAME', description: 'Preset name (RFC 1123 label, not a built-in name)' },
    access: {
      type: 'string',
      value: 'ACCESS',
      description: 'read-only, read-write or full (default: read-only for GET/HEAD/OPTIONS or a tunnel, else read-write)',
    },
    'any-binary': { type: 'boolean', description: 'Allow every executable, not just the one that asked' },
    description: { type: 'string', value: 'TEXT', description: 'Preset description' },
    'if-exists': {
      type: 'string',
      value: 'WHAT',
      description: 'When the preset exists: merge (default: add this grant, keep everything else), replace, or refuse',
    },
    tls: {
      type: 'string',
      value: 'MODE',
      description:
        'For a tunnel (CONNECT): inspect (default, the safest: the access is enforced per request; clients must trust the CA) or skip (a blind tunnel: everything inside is allowed)',
    },
  },
  allowPositionals: true,
  async run(args, io) {
    const id = requireId(args);
    const name = args.flags.preset as string | undefined;
    if (!name) throw new UsageError('--preset NAME is required');
    const access = choice(args.flags.access, 'access', ACCESS);
    const ifExists = choice(args.flags['if-exists'], 'if-exists', IF_EXISTS);
    const tls = choice(args.flags.tls, 'tls', TLS);
    return withSession(args, io, async (s) => {
      const { capabilities, info } = s.gateway;
      if (!capabilities.promote) throw new GatewayError('unimplemented', `${info.name} cannot promote requests to presets`);
      if (tls !== undefined && !capabilities.promoteTls)
        throw new GatewayError('unimplemented', `${info.name} does not say which requests were tunnels: --tls does not apply there`);
      const r = s.find(id, sandboxFlag(args));
      // Without --access the gateway chooses (its default for the method; a blind tunnel has none).
      const order: PromoteOrder = {
        name,
        description: args.flags.description as string | undefined,
        ...(access ? { access } : {}),
        anyBinary: Boolean(args.flags['any-binary']),
        ...(ifExists ? { ifExists } : {}),
        ...(tls ? { inspect: tls === 'inspect' } : {}),
      };
      let result: PromoteOutcome;
      if (!args.flags['dry-run']) result = await s.gateway.promote(r.id, order);
      else if (capabilities.promoteDryRun) result = await s.gateway.promote(r.id, { ...order, dryRun: true });
      else result = await previewHere(s.gateway, r, { ...order, access: access ?? promoteDefaults(r).access }, stateDirOf(args, io.env));
      out(io, args, result, describePromote(r.id, result));
      return 0;
    });
  },
};

const VERB = { created: 'create', merged: 'merge into', replaced: 'replace', unchanged: 'leave unchanged' } as const;

/** The outcome for a person: what happens to which file, the tunnel's TLS, the diff, what was released. */
export function describePromote(id: string, r: PromoteOutcome): string {
  // A gateway that does not say what changed: the file and what it holds.
  if (!r.change)
    return r.dryRun ? `would write ${r.file}:\n${r.yaml ?? ''}` : `promoted ${id} to preset '${r.name}': wrote ${r.file} and applied it`;
  const lines = r.dryRun
    ? [`would ${VERB[r.change]} preset '${r.name}' (${r.file}): ${r.summary}`]
    : [
        r.change === 'unchanged'
          ? `promoted ${id}: preset '${r.name}' already allowed it (${r.summary}); applied ${r.file}`
          : `promoted ${id} to preset '${r.name}' (${r.change}: ${r.summary}): wrote ${r.file} and applied it`,
      ];
  if (r.tunnel) lines.push(r.tunnel.note);
  if (r.diff) lines.push(r.dryRun ? 'it would write this change (nothing is written on a dry run):' : 'the change:', r.diff.trimEnd());
  if (r.released?.length) lines.push(`released: ${r.released.join(', ')}`);
  return lines.join('\n');
}

/** A dry run for a gateway that cannot do one: the same preview the console shows, of the local file it would write. */
async function previewHere(gateway: Gateway, r: InboxRequest, request: PromoteRequest, stateDir: string): Promise<PromoteOutcome> {
  const preview = previewPromote(r, request, builtinNamesOf(await gateway.presets(r.sandbox)));
  if (preview.error) throw new GatewayError(/built-in/.test(preview.error) ? 'conflict' : 'invalid_argument', preview.error);
  return { name: request.name, file: join(stateDir, 'presets', `${request.name}.yaml`), yaml: preview.yaml, dryRun: true };
}
