// Flags shared by every command that starts an embedded core (`core`, the console, `run`).
import type { FlagSpec, ParsedArgs } from '../command.js';
import { UsageError } from '../command.js';
import { defaultStateDir } from '../../core/state/state-dir.js';
import type { StandaloneOptions } from '../../gateway/embedded/standalone.js';
import { TIERS } from '../../core/presets/tiers.js';

export const STATE_DIR_FLAG: Record<string, FlagSpec> = {
  'state-dir': {
    type: 'string',
    value: 'DIR',
    description: 'State directory (default $OPENSHELL_TERM_STATE_DIR, else $XDG_STATE_HOME/openshell-term)',
  },
};

export const CORE_FLAGS: Record<string, FlagSpec> = {
  ...STATE_DIR_FLAG,
  policy: { type: 'string', value: 'FILE', description: 'Baseline sandbox policy (default: empty — deny everything, ask the operator)' },
  'proxy-listen': { type: 'string', value: 'H:P', description: 'Egress proxy address (default 127.0.0.1:3128)' },
  'ws-listen': { type: 'string', value: 'H:P', description: 'Feed address (default 127.0.0.1 and a free port, recorded in the state dir)' },
  'hold-timeout': {
    type: 'string',
    value: 'SECONDS',
    description: 'How long a request waits for a decision (default 30; 0 = deny at once, keep it in the inbox)',
  },
  'max-held': { type: 'string', value: 'N', description: 'Most connections held at once (default 256); past that, new ones are denied' },
  'max-pending': {
    type: 'string',
    value: 'N',
    description: 'Most requests waiting for a decision (default 1000); past that, new destinations are refused at once (403) and counted',
  },
  'audit-required': {
    type: 'boolean',
    description: 'Refuse approvals (saying why) whenever the audit log cannot be written, until it can be again',
  },
  resolve: { type: 'string', multiple: true, value: 'HOST:IP', description: 'Resolve HOST to IP, like curl --resolve' },
  'allow-loopback': { type: 'boolean', description: 'Permit upstreams on loopback (local services, tests)' },
  tier: { type: 'string', value: 'TIER', description: 'Apply a tier of built-in presets at start: restricted (none), balanced, open' },
  'grpc-listen': {
    type: 'string',
    value: 'H:P',
    description:
      'Also serve the gateway API (0.1.x: openshell.v1 and ryno.v1) here, so consoles attach with --endpoint; every call needs the control token (or a client certificate with --grpc-client-ca)',
  },
  'grpc-legacy-listen': {
    type: 'string',
    value: 'H:P',
    description: 'Also serve the 0.0.x generation of the gateway API here (for older OpenShell clients; needs --grpc-listen)',
  },
  sandbox: { type: 'string', value: 'NAME', description: "Name of this core's sandbox as the gateway API shows it (default: local)" },
  'grpc-tls-cert': {
    type: 'string',
    value: 'FILE',
    description: 'Serve the gateway API over TLS with this certificate (PEM; needs --grpc-tls-key)',
  },
  'grpc-tls-key': { type: 'string', value: 'FILE', description: 'The private key for --grpc-tls-cert (PEM)' },
  'grpc-client-ca': {
    type: 'string',
    value: 'FILE',
    description: 'Require client certificates signed by this CA (mTLS; then no token is asked for)',
  },
};

export function stateDirOf(args: ParsedArgs, env: NodeJS.ProcessEnv): string {
  return (args.flags['state-dir'] as string | undefined) ?? defaultStateDir(env);
}

function intFlag(args: ParsedArgs, name: string, min: number): number | undefined {
  const raw = args.flags[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} expects a whole number ≥ ${min}, got '${raw}'`);
  return n;
}

export function standaloneOptions(args: ParsedArgs, env: NodeJS.ProcessEnv): StandaloneOptions {
  return {
    stateDir: stateDirOf(args, env),
    policyFile: args.flags.policy as string | undefined,
    proxyListen: args.flags['proxy-listen'] as string | undefined,
    wsListen: args.flags['ws-listen'] as string | undefined,
    holdTimeoutSeconds: intFlag(args, 'hold-timeout', 0),
    maxHeld: intFlag(args, 'max-held', 1),
    maxPending: intFlag(args, 'max-pending', 1),
    auditRequired: Boolean(args.flags['audit-required']),
    resolve: (args.flags.resolve as string[] | undefined) ?? [],
    allowLoopback: Boolean(args.flags['allow-loopback']),
    tier: tierOf(args),
    grpcListen: args.flags['grpc-listen'] as string | undefined,
    grpcLegacyListen: args.flags['grpc-legacy-listen'] as string | undefined,
    grpcTls: grpcTlsFiles(args),
    sandboxName: args.flags.sandbox as string | undefined,
  };
}

function tierOf(args: ParsedArgs): string | undefined {
  const tier = args.flags.tier as string | undefined;
  if (tier !== undefined && !TIERS.some((t) => t.name === tier)) {
    throw new UsageError(`unknown tier '${tier}'; expected one of: ${TIERS.map((t) => t.name).join(', ')}`);
  }
  return tier;
}

function grpcTlsFiles(args: ParsedArgs): StandaloneOptions['grpcTls'] {
  const cert = args.flags['grpc-tls-cert'] as string | undefined;
  const key = args.flags['grpc-tls-key'] as string | undefined;
  const ca = args.flags['grpc-client-ca'] as string | undefined;
  if (!cert && !key && !ca) return undefined;
  if (!cert || !key) throw new UsageError('--grpc-tls-cert and --grpc-tls-key go together (and --grpc-client-ca needs both)');
  return { cert, key, ca };
}
