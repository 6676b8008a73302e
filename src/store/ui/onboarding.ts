// What the empty inbox teaches: where the proxy is, how to start an agent through it, and one command to
// try. Built from what the gateway says about itself (its proxy, its state dir), never hard-coded; a
// gateway whose sandboxes run elsewhere says what applies to it instead.
import type { GatewayInfo } from '../../gateway/gateway.js';

export interface OnboardingStep {
  /** A word or two ("proxy", "agent", "try"). */
  label: string;
  /** What to type (or the address). */
  command: string;
  /** Why, in a few words. */
  note?: string;
}

export interface Onboarding {
  title: string;
  steps: OnboardingStep[];
}

/** A host:port clients can dial: a wildcard listener is reached on loopback. */
function dialable(proxy: string): string {
  const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(proxy);
  if (!m) return proxy;
  const [, host, port] = m;
  if (host === '0.0.0.0' || host === '') return `127.0.0.1:${port}`;
  if (host === '[::]') return `[::1]:${port}`;
  return proxy;
}

const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** The first screen's lessons for this gateway; `defaultStateDir` is left out of the commands. */
export function onboardingFor(info: GatewayInfo, defaultStateDir: string): Onboarding {
  if (!info.agents) {
    return {
      title: `No requests yet. ${info.name} decides for its sandboxes: what their policy does not allow appears here.`,
      steps: [
        { label: 'gateway', command: info.endpoint },
        { label: 'try', command: 'curl https://example.com', note: 'from inside one of its sandboxes: a host its policy lacks asks here' },
        { label: 'sandboxes', command: 'press 2', note: 'the dashboard lists its sandboxes and providers' },
      ],
    };
  }
  const proxy = dialable(info.agents.proxy);
  const dir = info.agents.stateDir === defaultStateDir ? '' : ` --state-dir ${quote(info.agents.stateDir)}`;
  return {
    title: 'No requests yet. Anything the policy does not allow will appear here for a decision.',
    steps: [
      { label: 'proxy', command: `http://${proxy}` },
      { label: 'agent', command: `openshell-term run${dir} -- <agent>`, note: 'sets the proxy and the CA, contains the agent' },
      { label: 'try', command: `curl -x http://${proxy} https://example.com`, note: 'one request, held here until you decide' },
    ],
  };
}
