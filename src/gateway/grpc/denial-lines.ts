// Denials as a gateway streams them (upstream's OCSF shorthand log lines, level OCSF):
//   NET:OPEN [MED] DENIED curl(42) -> api.example.com:443 [policy:- engine:opa] [reason:...]
// The sandbox's denial aggregator turns these into a draft chunk only after its flush interval, so the
// console shows the denial at once ("awaiting proposal") and upgrades it when the chunk arrives.
// Two kinds never become a chunk, and are said so instead of silently never appearing:
//   - the destination guard refusing an always-blocked address (loopback, link-local, metadata):
//     upstream's mapper skips those, no policy can allow them;
//   - allowed_ips drift: the endpoint is allowed but the host now resolves outside its allowed_ips;
//     proposals never carry allowed_ips, so approving a draft could not fix it.
import { classifyIp, isIpLiteral } from '../../core/policy/ip.js';

export interface StreamDenial {
  host: string;
  port: number;
  /** The process name upstream logs (e.g. "curl"), not its full path. */
  process: string;
  engine: string;
  reason: string;
  /** Set when no draft can ever come of it, with why. */
  undraftable?: { kind: 'destination-guard' | 'allowed-ips-drift'; why: string };
}

const DENIAL = /\bDENIED\s+(?:(\S+?)\(\d*\)\s+->\s+)?(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})\b/;
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata',
  'metadata.azure.internal',
  'instance-data',
  'instance-data.ec2.internal',
]);

function alwaysBlocked(host: string): boolean {
  const h = host
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
  if (h === 'localhost' || METADATA_HOSTS.has(h)) return true;
  if (!isIpLiteral(h)) return false;
  const c = classifyIp(h);
  return c === 'loopback' || c === 'link-local' || c === 'unspecified';
}

/** The denial in one log line, or undefined when the line is not one. */
export function parseDenial(message: string): StreamDenial | undefined {
  if (!message.startsWith('NET:') && !message.startsWith('HTTP:')) return undefined;
  const m = DENIAL.exec(message);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (!(port > 0 && port < 65536)) return undefined;
  const host = m[2].replace(/^\[|\]$/g, '');
  const engine = /\bengine:([\w-]+)/.exec(message)?.[1] ?? '';
  const reason = /\[reason:(.*?)\](?:\s*\[|$)/.exec(message)?.[1] ?? '';
  const denial: StreamDenial = { host, port, process: m[1] ?? '', engine, reason };
  if (engine === 'ssrf') {
    if (alwaysBlocked(host))
      denial.undraftable = {
        kind: 'destination-guard',
        why: `${host} is an always-blocked destination (loopback, link-local or cloud metadata): no policy can allow it, so no draft will come`,
      };
    else if (/allowed_ips/i.test(reason))
      denial.undraftable = {
        kind: 'allowed-ips-drift',
        why: `${host}:${port} resolved outside its endpoint's allowed_ips; drafts never carry allowed_ips, so edit the rule's allowed_ips instead`,
      };
  }
  return denial;
}

/** Whether a chunk's binary (a full path) is the process a denial line named. */
export function sameProcess(binary: string, process: string): boolean {
  if (!process) return true;
  return binary === process || binary.split('/').pop() === process;
}
