// How a command picks the Gateway it acts on: the core of the state dir (over its feed) by default, or an
// OpenShell gateway with --gateway NAME / --endpoint URL; --sandbox narrows to one sandbox. Every
// decision command opens one session, acts, and closes it, whichever gateway it is.
import type { CommandIO, FlagSpec, ParsedArgs } from '../command.js';
import { sanitizeForTerminal } from '../../core/text/sanitize.js';
import { GatewaySession } from '../../gateway/gateway-session.js';
import { openGateway } from '../../gateway/open-gateway.js';
import { STATE_DIR_FLAG, stateDirOf } from './core-flags.js';
import { GATEWAY_FLAGS } from './gateway-flags.js';

export const TARGET_FLAGS: Record<string, FlagSpec> = {
  ...STATE_DIR_FLAG,
  ...GATEWAY_FLAGS,
  sandbox: { type: 'string', value: 'NAME', description: "The sandbox (default: the gateway's only one; ids may then omit 'NAME/')" },
};

export const TARGET_USAGE = '[--state-dir DIR | --gateway NAME | --endpoint URL] [--sandbox S]';

export const sandboxFlag = (args: ParsedArgs) => args.flags.sandbox as string | undefined;

/**
 * Opens a session on the target, runs `work`, closes it. Whatever the gateway's conditions are at the
 * end (its audit log cannot be written, its inbox is full) are said on stderr, whether `work` succeeded
 * or not: a script reading stdout still sees them.
 */
export async function withSession<T>(args: ParsedArgs, io: CommandIO, work: (session: GatewaySession) => Promise<T>): Promise<T> {
  const gateway = await openGateway({
    stateDir: stateDirOf(args, io.env),
    gateway: args.flags.gateway as string | undefined,
    endpoint: args.flags.endpoint as string | undefined,
    workspace: args.flags.workspace as string | undefined,
    sandbox: sandboxFlag(args),
    env: io.env,
  });
  const session = await GatewaySession.open(gateway);
  try {
    return await work(session);
  } finally {
    for (const notice of session.notices()) io.stderr.write(`openshell-term: warning: ${sanitizeForTerminal(notice.message)}\n`);
    await session.close();
  }
}
