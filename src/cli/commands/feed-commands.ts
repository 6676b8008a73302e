// What the commands share: output (human or --json), the ID argument, and a raw feed connection for the
// preset commands that have no Gateway counterpart yet (show, add --from-file/--from-dir).
import type { CommandIO, ParsedArgs } from '../command.js';
import { UsageError } from '../command.js';
import { stateDirOf } from './core-flags.js';
import { readRuntimeInfo, readToken } from '../../core/state/state-dir.js';
import { GatewayError } from '../../gateway/errors.js';
import { FeedClient } from '../../gateway/feed/feed-client.js';
import { sanitizeMultiline } from '../../core/text/sanitize.js';

export const JSON_FLAG = { json: { type: 'boolean' as const, description: 'Machine-readable JSON output' } };

export async function withFeed<T>(args: ParsedArgs, io: CommandIO, fn: (client: FeedClient) => Promise<T>): Promise<T> {
  const dir = stateDirOf(args, io.env);
  const info = await readRuntimeInfo(dir);
  const token = await readToken(dir);
  if (!info || !token)
    throw new GatewayError(
      'unavailable',
      `no core is running for state dir ${dir} (start one with: openshell-term core --state-dir ${dir})`,
    );
  let connected: Awaited<ReturnType<typeof FeedClient.connect>>;
  try {
    connected = await FeedClient.connect(info.ws, token);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw new GatewayError('unavailable', `cannot reach the core at ${info.ws} (${(error as Error).message}); is it still running?`);
  }
  try {
    return await fn(connected.client);
  } finally {
    connected.client.close();
  }
}

export function requireId(args: ParsedArgs): string {
  const [id, extra] = args.positionals;
  if (!id) throw new UsageError('an ID is required (see: openshell-term requests)');
  if (extra) throw new UsageError(`unexpected argument '${extra}'`);
  return id;
}

export const out = (io: CommandIO, args: ParsedArgs, data: unknown, human: string) =>
  io.stdout.write(args.flags.json ? `${JSON.stringify(data, null, 2)}\n` : `${sanitizeMultiline(human)}\n`);
