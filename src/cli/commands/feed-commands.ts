// What the commands share: output (human or --json), the ID argument, and a raw feed connection for the
// preset commands that have no Gateway counterpart yet (show, add --from-file/--from-dir).
import type { CommandIO, ParsedArgs } from '../command.js';
import { UsageError } from '../command.js';
import { stateDirOf } from './core-flags.js';
import { GatewayError, toGatewayError } from '../../gateway/errors.js';
import { FeedClient } from '../../gateway/feed/feed-client.js';
import { auditWarning, type Health } from '../../gateway/feed/protocol.js';
import { sanitizeForTerminal, sanitizeMultiline } from '../../core/text/sanitize.js';

export const JSON_FLAG = { json: { type: 'boolean' as const, description: 'Machine-readable JSON output' } };

/**
 * A raw feed connection to the core of the state dir, verified first (FeedClient.connectToCore: the core
 * core.json names is alive and owns the feed's port, checked again before the token is sent). What the
 * core warns about comes out on stderr, and so does an audit log that cannot be written, as it stands
 * after the command ran (a decision retries the write).
 */
export async function withFeed<T>(args: ParsedArgs, io: CommandIO, fn: (client: FeedClient) => Promise<T>): Promise<T> {
  let connected: Awaited<ReturnType<typeof FeedClient.connectToCore>>;
  try {
    connected = await FeedClient.connectToCore(stateDirOf(args, io.env));
  } catch (error) {
    throw toGatewayError(error, error instanceof GatewayError ? error.code : 'unavailable');
  }
  const { client, hello } = connected;
  client.on('warning', (warning) => io.stderr.write(`openshell-term: ${sanitizeForTerminal(warning)}\n`));
  try {
    return await fn(client);
  } finally {
    if (hello.health.audit?.writable === false) {
      const health = await client.command<Health>({ type: 'health' }).catch(() => undefined);
      const audit = health?.audit ?? hello.health.audit;
      if (!audit.writable) io.stderr.write(`openshell-term: warning: ${sanitizeForTerminal(auditWarning(audit))}\n`);
    }
    client.close();
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
