// `preset list|show|add|remove`: through the running core when there is one (it applies the change at
// once), otherwise straight on the state dir's preset store (applied at the next start); with --gateway or
// --endpoint, on a gateway's sandbox (remote-presets.ts). `promote` is a decision command.
import type { Command, CommandIO, ParsedArgs } from '../command.js';
import { UsageError } from '../command.js';
import { STATE_DIR_FLAG, stateDirOf } from './core-flags.js';
import { JSON_FLAG, out, requireId, withFeed } from './feed-commands.js';
import { runningCore } from '../../core/state/core-liveness.js';
import { PresetStore, type AddResult, type PresetInfo } from '../../core/presets/preset-store.js';
import { presetYaml } from '../../core/presets/promote.js';
import { isRemote, REMOTE_FLAGS } from './gateway-flags.js';
import { formatPresetList } from './preset-list.js';

// Gateway code (grpc-js, the protos) loads only when a command talks to a gateway.
const remote = () => import('./remote-presets.js');

/** A core that core.json names, alive and owning its feed's port (a stale core.json after kill -9 is no core). */
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
