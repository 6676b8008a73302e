// `preset list|show|add|remove` and `promote`: through the running core when there is one (it applies the
// change at once), otherwise straight on the state dir's preset store (applied at the next start).
import type { Command, CommandIO, ParsedArgs } from '../command.js';
import { UsageError } from '../command.js';
import { STATE_DIR_FLAG, stateDirOf } from './core-flags.js';
import { JSON_FLAG, out, requireId, withFeed } from './feed-commands.js';
import { runningCore } from '../../core/state/core-liveness.js';
import { PresetStore, type AddResult, type PresetInfo } from '../../core/presets/preset-store.js';
import { presetYaml } from '../../core/presets/promote.js';
import type { PromoteResult } from '../../core/presets/preset-manager.js';
import { isRemote, REMOTE_FLAGS } from './gateway-flags.js';
import { formatPresetList } from './preset-list.js';

// Gateway code (grpc-js, the protos) loads only when a command talks to a gateway.
const remote = () => import('./remote-presets.js');

async function coreRunning(args: ParsedArgs, io: CommandIO): Promise<boolean> {
  return (await runningCore(stateDirOf(args, io.env))).running;
}

const DRY_RUN = { 'dry-run': { type: 'boolean' as const, description: 'Show what would change, write nothing' } };

function describeAdd(results: AddResult[], live: boolean): string {
  return results
    .map((r) =>
      r.dryRun
        ? `would apply preset '${r.name}' (${r.file}):\n${r.yaml}`
        : `applied preset '${r.name}' (${r.file})${live ? '' : ' — takes effect when the core next starts'}`,
    )
    .join('\n');
}

export const presetListCommand: Command = {
  path: ['preset', 'list'],
  usage: 'preset list [--state-dir DIR] [--json] [--gateway NAME | --endpoint URL] [--sandbox S]',
  summary: "List built-in and custom presets, and which are applied (on the local core, or on a gateway's sandbox).",
  flags: { ...STATE_DIR_FLAG, ...JSON_FLAG, ...REMOTE_FLAGS },
  async run(args, io) {
    if (isRemote(args)) return (await remote()).remotePresetList(args, io);
    const list = (await coreRunning(args, io))
      ? await withFeed(args, io, (c) => c.command<PresetInfo[]>({ type: 'presets' }))
      : (await PresetStore.open(stateDirOf(args, io.env))).list();
    out(io, args, list, formatPresetList(list));
    return 0;
  },
};

export const presetShowCommand: Command = {
  path: ['preset', 'show'],
  usage: 'preset show NAME [--state-dir DIR]',
  summary: "Print a preset's YAML.",
  flags: { ...STATE_DIR_FLAG },
  allowPositionals: true,
  async run(args, io) {
    const name = requireId(args);
    let yaml: string;
    if (await coreRunning(args, io)) yaml = await withFeed(args, io, (c) => c.command<string>({ type: 'preset.show', name }));
    else {
      const doc = (await PresetStore.open(stateDirOf(args, io.env))).get(name);
      if (!doc) throw new Error(`no preset named '${name}' (see: openshell-term preset list)`);
      yaml = presetYaml(doc);
    }
    io.stdout.write(yaml);
    return 0;
  },
};

export const presetAddCommand: Command = {
  path: ['preset', 'add'],
  usage:
    'preset add NAME | --from-file F | --from-dir D [--dry-run] [--state-dir DIR] [--json] [--gateway NAME | --endpoint URL] [--sandbox S] [--wait] [--timeout S]',
  summary:
    'Apply a built-in or saved preset, or a NemoClaw preset file (copied into the state dir), or every file of a directory in order.',
  flags: {
    ...STATE_DIR_FLAG,
    ...JSON_FLAG,
    ...DRY_RUN,
    ...REMOTE_FLAGS,
    'from-file': { type: 'string', value: 'FILE', description: 'A NemoClaw preset file' },
    'from-dir': { type: 'string', value: 'DIR', description: 'Every .yaml/.yml in DIR, lexicographically; stops at the first failure' },
  },
  allowPositionals: true,
  async run(args, io) {
    if (isRemote(args)) return (await remote()).remotePresetChange('add', args, io);
    const file = args.flags['from-file'] as string | undefined;
    const dir = args.flags['from-dir'] as string | undefined;
    const name = args.positionals[0];
    if ([file, dir, name].filter(Boolean).length !== 1) throw new UsageError('give exactly one of NAME, --from-file F or --from-dir D');
    const dryRun = Boolean(args.flags['dry-run']);
    const live = await coreRunning(args, io);
    const results = live
      ? await withFeed(args, io, (c) => c.command<AddResult[]>({ type: 'preset.add', name, file, dir, dryRun }))
      : await (async () => {
          const store = await PresetStore.open(stateDirOf(args, io.env));
          if (dir) return store.addFromDir(dir, { dryRun });
          return [file ? await store.addFromFile(file, { dryRun }) : await store.add(name!, { dryRun })];
        })();
    out(io, args, results, describeAdd(results, live));
    return 0;
  },
};

export const presetRemoveCommand: Command = {
  path: ['preset', 'remove'],
  usage: 'preset remove NAME [--dry-run] [--yes] [--state-dir DIR] [--gateway NAME | --endpoint URL] [--sandbox S] [--wait] [--timeout S]',
  summary: 'Un-apply a preset (works even if its file is gone). Asks first unless --yes.',
  flags: { ...STATE_DIR_FLAG, ...JSON_FLAG, ...DRY_RUN, ...REMOTE_FLAGS, yes: { type: 'boolean', description: 'Do not ask' } },
  allowPositionals: true,
  async run(args, io) {
    const name = requireId(args);
    const dryRun = Boolean(args.flags['dry-run']);
    if (!dryRun && !args.flags.yes) {
      if (!(io.stdin as NodeJS.ReadStream).isTTY) throw new UsageError('removing a preset asks for confirmation; pass --yes in scripts');
      io.stdout.write(`Remove preset '${name}'? [y/N] `);
      const answer = await new Promise<string>((resolve) => io.stdin.once('data', (d) => resolve(String(d).trim())));
      (io.stdin as NodeJS.ReadStream).pause?.();
      if (answer.toLowerCase() !== 'y') {
        io.stdout.write('not removed\n');
        return 1;
      }
    }
    if (isRemote(args)) return (await remote()).remotePresetChange('remove', args, io);
    if (await coreRunning(args, io)) await withFeed(args, io, (c) => c.command({ type: 'preset.remove', name, dryRun }));
    else await (await PresetStore.open(stateDirOf(args, io.env))).remove(name, { dryRun });
    out(io, args, { name, dryRun }, dryRun ? `would remove preset '${name}'` : `removed preset '${name}'`);
    return 0;
  },
};

export const promoteCommand: Command = {
  path: ['promote'],
  usage:
    'promote ID --preset NAME [--access read-only|read-write|full] [--any-binary] [--description TEXT] [--if-exists merge|replace|refuse] [--tls inspect|skip] [--dry-run] [--state-dir DIR] [--json]',
  summary:
    'Turn a request into a persisted NemoClaw-format preset (this host and port, pinned to its binary), merged into the preset if it exists, and apply it at once.',
  flags: {
    ...STATE_DIR_FLAG,
    ...JSON_FLAG,
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
    const access = args.flags.access as string | undefined;
    if (access !== undefined && !['read-only', 'read-write', 'full'].includes(access))
      throw new UsageError(`--access must be read-only, read-write or full, got '${access}'`);
    const ifExists = args.flags['if-exists'] as string | undefined;
    if (ifExists !== undefined && !['merge', 'replace', 'refuse'].includes(ifExists))
      throw new UsageError(`--if-exists must be merge, replace or refuse, got '${ifExists}'`);
    const tls = args.flags.tls as string | undefined;
    if (tls !== undefined && tls !== 'inspect' && tls !== 'skip') throw new UsageError(`--tls must be inspect or skip, got '${tls}'`);
    const r = await withFeed(args, io, (c) =>
      c.command<PromoteResult>({
        type: 'promote',
        id,
        name,
        access: access as never,
        anyBinary: Boolean(args.flags['any-binary']),
        description: args.flags.description as string | undefined,
        dryRun: Boolean(args.flags['dry-run']),
        ifExists: ifExists as never,
        ...(tls ? { inspect: tls === 'inspect' } : {}),
      }),
    );
    out(io, args, r, describePromote(id, r));
    return 0;
  },
};

/** The promote outcome for a person: what happened to which file, the tunnel's TLS, the diff, what was released. */
function describePromote(id: string, r: PromoteResult): string {
  const verb = { created: 'create', merged: 'merge into', replaced: 'replace', unchanged: 'leave unchanged' }[r.change];
  const lines = r.dryRun
    ? [`would ${verb} preset '${r.name}' (${r.file}): ${r.summary}`]
    : [
        r.change === 'unchanged'
          ? `promoted ${id}: preset '${r.name}' already allowed it (${r.summary}); applied ${r.file}`
          : `promoted ${id} to preset '${r.name}' (${r.change}: ${r.summary}): wrote ${r.file} and applied it`,
      ];
  if (r.tunnel) lines.push(r.tunnel.note);
  if (r.diff) lines.push(r.diff.trimEnd());
  if (r.released.length > 0) lines.push(`released: ${r.released.join(', ')}`);
  return lines.join('\n');
}
