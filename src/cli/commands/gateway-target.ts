// How a command picks the Gateway it acts on: the core of the state dir (over its feed) by default, or an
// OpenShell gateway with --gateway NAME / --endpoint URL; --sandbox narrows to one sandbox. Every
// decision command opens one session, acts, and closes it, whichever gateway it is.
import type { FlagSpec, ParsedArgs } from '../command.js';
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

export async function withSession<T>(args: ParsedArgs, env: NodeJS.ProcessEnv, work: (session: GatewaySession) => Promise<T>): Promise<T> {
  const gateway = await openGateway({
    stateDir: stateDirOf(args, env),
    gateway: args.flags.gateway as string | undefined,
    endpoint: args.flags.endpoint as string | undefined,
    workspace: args.flags.workspace as string | undefined,
    sandbox: sandboxFlag(args),
    env,
  });
  const session = await GatewaySession.open(gateway);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}
