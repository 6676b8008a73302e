// `preset list|add|remove` against a gateway (--gateway NAME or --endpoint URL): preset files stay
// local (NemoClaw format, in the state dir), the sandbox's live policy changes by a structural merge
// (UpdateConfig merge operations). With --wait, block until the sandbox reports the new version loaded:
// exit 0 loaded (or superseded), 1 failed, 124 timed out — as the OpenShell CLI's --wait. Works with
// either protocol generation (found by probing the gateway).
import type { CommandIO, ParsedArgs } from '../command.js';
import { UsageError } from '../command.js';
import { stateDirOf } from './core-flags.js';
import { out } from './feed-commands.js';
import { PresetStore } from '../../core/presets/preset-store.js';
import { formatProblem, parsePolicyText } from '../../core/policy/source.js';
import type { PresetDocument } from '../../core/policy/types.js';
import { ensureStateDir } from '../../core/state/state-dir.js';
import { resolveConnection, workspaceOf } from '../../gateway/grpc/connection-target.js';
import { describeError } from '../../gateway/grpc/grpc-errors.js';
import { connectionOf, OpenShellRpc } from '../../gateway/grpc/openshell-client.js';
import { probeProtocol } from '../../gateway/grpc/protocol-probe.js';
import {
  addPresetOperations,
  livePolicyKeys,
  mergeIntoSandbox,
  pickSandbox,
  presetApplied,
  removePresetOperations,
  waitForPolicyLoad,
} from '../../gateway/grpc/remote-policy.js';
import { formatPresetList } from './preset-list.js';
import { stringify } from 'yaml';
import { mergeOperationToProto } from '../../gateway/grpc/merge-codec.js';

async function connect(args: ParsedArgs, io: CommandIO) {
  const target = resolveConnection(
    { gateway: args.flags.gateway as string | undefined, endpoint: args.flags.endpoint as string | undefined },
    io.env,
    { stateDir: stateDirOf(args, io.env) },
  );
  const rpc = new OpenShellRpc(connectionOf(target));
  const workspace = workspaceOf(args.flags.workspace as string | undefined, io.env);
  try {
    await rpc.refresh();
    const { protocol } = await probeProtocol(rpc, target.endpoint);
    const sandbox = await pickSandbox(protocol, args.flags.sandbox as string | undefined, workspace);
    return { rpc, protocol, sandbox, gateway: target.name };
  } catch (error) {
    rpc.close();
    throw new Error(describeError(error));
  }
}

function timeoutMs(args: ParsedArgs): number {
  const raw = args.flags.timeout ?? '60';
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout expects seconds > 0, got '${raw}'`);
  return seconds * 1000;
}

export async function remotePresetList(args: ParsedArgs, io: CommandIO): Promise<number> {
  const store = await localStore(args, io);
  const { rpc, protocol, sandbox } = await connect(args, io);
  try {
    const live = await livePolicyKeys(protocol, sandbox);
    const list = store.list().map((p) => ({ ...p, applied: presetApplied(store.get(p.name), live) }));
    out(io, args, list, formatPresetList(list));
    return 0;
  } catch (error) {
    throw new Error(describeError(error));
  } finally {
    rpc.close();
  }
}

/** Adds (NAME, --from-file, --from-dir in order) or removes presets on the sandbox; one merge per preset. */
export async function remotePresetChange(verb: 'add' | 'remove', args: ParsedArgs, io: CommandIO): Promise<number> {
  const store = await localStore(args, io);
  const docs = await presetsToChange(verb, args, store);
  const dryRun = Boolean(args.flags['dry-run']);
  if (dryRun) {
    const ops = docs.flatMap((d) => (verb === 'add' ? addPresetOperations(d) : removePresetOperations(d)));
    out(io, args, ops, `would send UpdateConfig merge_operations:\n${stringify(ops.map((op) => mergeOperationToProto(op)))}`);
    return 0;
  }
  const wait = Boolean(args.flags.wait);
  const limit = wait ? timeoutMs(args) : 0;
  const { rpc, protocol, sandbox, gateway } = await connect(args, io);
  try {
    let version = 0;
    for (const doc of docs) {
      const r = await mergeIntoSandbox(protocol, sandbox, verb === 'add' ? addPresetOperations(doc) : removePresetOperations(doc));
      version = r.version;
      io.stdout.write(
        `${verb === 'add' ? 'applied' : 'removed'} preset '${doc.preset.name}' on ${sandbox.name} (${gateway}): policy version ${r.version}\n`,
      );
    }
    if (!wait) return 0;
    io.stdout.write(`waiting for ${sandbox.name} to load policy version ${version}…\n`);
    const result = await waitForPolicyLoad(protocol, sandbox, version, limit);
    if (result.outcome === 'timeout') {
      io.stderr.write(`Timeout waiting for policy version ${version} to load\n`);
      return 124;
    }
    if (result.outcome === 'failed') {
      io.stderr.write(`policy version ${version} failed to load: ${result.error}\n`);
      return 1;
    }
    io.stdout.write(
      result.outcome === 'loaded' ? `policy version ${version} loaded\n` : `policy version ${version} was superseded by a newer one\n`,
    );
    return 0;
  } catch (error) {
    throw new Error(describeError(error));
  } finally {
    rpc.close();
  }
}

async function localStore(args: ParsedArgs, io: CommandIO): Promise<PresetStore> {
  const dir = stateDirOf(args, io.env);
  await ensureStateDir(dir);
  return PresetStore.open(dir);
}

async function presetsToChange(verb: 'add' | 'remove', args: ParsedArgs, store: PresetStore): Promise<PresetDocument[]> {
  const name = args.positionals[0];
  const file = args.flags['from-file'] as string | undefined;
  const dir = args.flags['from-dir'] as string | undefined;
  if (verb === 'add' && (file || dir)) {
    // Files are checked and copied into the state dir first, as for the local core (NemoClaw's rules).
    const results = dir ? await store.addFromDir(dir, { dryRun: true }) : [await store.addFromFile(file!, { dryRun: true })];
    const docs: PresetDocument[] = [];
    for (const r of results) {
      const parsed = parsePolicyText(r.yaml, r.file, 'preset');
      if (parsed.document?.kind !== 'preset') throw new Error(parsed.errors.map(formatProblem).join('\n'));
      const doc = parsed.document.preset;
      if (!args.flags['dry-run']) await store.saveCustom(doc);
      docs.push(doc);
    }
    return docs;
  }
  if (!name) throw new UsageError(verb === 'add' ? 'give exactly one of NAME, --from-file F or --from-dir D' : 'a preset NAME is required');
  const doc = store.get(name);
  if (!doc) throw new Error(`no preset named '${name}' (see: openshell-term preset list)`);
  return [doc];
}
