// What `run` tells the operator at start: what the kernel enforces on this agent, and exactly what it
// does not — a kernel without Landlock (or an older ABI), a helper that did not build, Landlock's own
// limits (TCP rules are per port, UDP is not covered). Never silent: every gap is one line.
import type { SandboxSpec, SandboxStatus } from './agent-sandbox.js';

export interface ReportContext {
  stateDir: string;
  /** The uid `run` itself runs as: an agent with the same uid can change the operator's files. */
  operatorUid: number;
  proxyPort: number;
  /** The agent runs in its own network namespace (--isolate). */
  isolated: boolean;
}

export interface SandboxReport {
  enforced: string[];
  notEnforced: string[];
}

const ALL_ZERO = /^0+$/;

export function describeSandbox(status: SandboxStatus, spec: SandboxSpec, context: ReportContext): SandboxReport {
  const enforced: string[] = [];
  const gaps: string[] = [];
  const abi = status.abi;
  const forced = status.abi < status.kernel_abi ? ` (limited to ABI ${abi} of the kernel's ${status.kernel_abi})` : '';
  const landlock = abi > 0 ? `Landlock ABI ${abi}${forced}` : 'no Landlock';

  if (status.fs) {
    enforced.push(`${context.stateDir} cannot be read or written (${hiddenCount(spec)})`);
    if ((spec.readOnly ?? []).length > 0) enforced.push(`read-only: ${spec.readOnly!.join(', ')}`);
  } else
    gaps.push(
      `${context.stateDir} (control token, CA key, presets, audit) is readable and writable by the agent: ${landlock} on this kernel`,
    );

  if (status.tcp) {
    enforced.push(`TCP connect only to port ${spec.connectPorts.join(', ')} (the proxy); the feed and gRPC ports are unreachable`);
    if (!context.isolated)
      gaps.push(
        `Landlock TCP rules are per port, not per address: port ${context.proxyPort} on any other host is reachable, and UDP (DNS, QUIC) is not covered; use --isolate to confine the agent to the proxy`,
      );
  } else if (!context.isolated)
    gaps.push(
      `TCP connect is not restricted (${landlock}, needs ABI 4): clients that ignore the proxy variables connect directly, the feed and gRPC ports are reachable (their token still guards them); use --isolate`,
    );
  else
    gaps.push(`TCP connect is not restricted (${landlock}, needs ABI 4): inside the namespace the host's wildcard listeners are reachable`);

  if (status.scope_signal && status.scope_abstract_unix)
    enforced.push('no signals to, and no abstract UNIX sockets of, processes outside the sandbox (the core included)');
  else if (status.uid === 0 || !context.isolated)
    gaps.push(
      `signals and abstract UNIX sockets are not scoped (${landlock}, needs ABI 6): the agent can kill processes of its user, the core included`,
    );
  else gaps.push(`abstract UNIX sockets are not scoped (${landlock}, needs ABI 6)`);

  if (abi > 0) enforced.push('no ptrace of processes outside the sandbox');
  else gaps.push('ptrace is not confined by Landlock: only the core being non-dumpable keeps the agent out of its memory');

  // The seccomp filter also keeps internet sockets to plain TCP and UDP: MPTCP, SCTP and SMC would fall
  // outside Landlock's TCP rule (native/agent-sandbox/seccomp.c).
  if (status.seccomp)
    enforced.push(
      spec.allowUnixSockets
        ? 'no TIOCSTI into the terminal; no internet sockets but TCP and UDP (MPTCP would bypass the TCP rule)'
        : 'no UNIX sockets (tmux, ssh-agent, D-Bus), no internet sockets but TCP and UDP (MPTCP would bypass the TCP rule), and no TIOCSTI into the terminal',
    );
  else
    gaps.push(
      "no seccomp filter on this architecture: the agent can push keystrokes into the terminal (TIOCSTI), use UNIX sockets, and connect anywhere over MPTCP (outside Landlock's TCP rule)",
    );
  if (spec.allowUnixSockets) gaps.push('--allow-unix-sockets: the agent can reach pathname UNIX sockets (your tmux, ssh-agent, D-Bus)');

  if (status.no_new_privs) enforced.push('no_new_privs (setuid and file capabilities do nothing)');
  const capabilities = [status.cap_eff, status.cap_prm, status.cap_bnd, status.cap_amb, status.cap_inh].every((c) => ALL_ZERO.test(c));
  if (status.uid === 0 && !capabilities) gaps.push('the agent runs as root WITH capabilities');
  else if (capabilities) enforced.push(`uid ${status.uid} without capabilities`);
  if (context.isolated && status.netns) enforced.push('its own network namespace: the only reachable address is the proxy');
  if (status.uid === 0)
    gaps.push(
      'the agent runs as root: it can rewrite root-owned files (system binaries, /etc, /root) that run later outside the sandbox; --user NAME runs it as another uid',
    );
  else if (status.uid === context.operatorUid)
    gaps.push(
      'the agent runs as your user: it can change your files that run later outside the sandbox (shell start-up files, ~/.nvm …); as root, --user NAME runs it as another uid',
    );

  return { enforced, notEnforced: gaps };
}

function hiddenCount(spec: SandboxSpec): string {
  return spec.hide.length === 1 ? 'Landlock' : `Landlock; also hidden: ${spec.hide.slice(1).join(', ')}`;
}

/** The report when the helper is missing: nothing but the environment is enforced. */
export function unsandboxedReport(context: ReportContext, why: string): SandboxReport {
  return {
    enforced: [],
    notEnforced: [
      `${why}: the agent can read and write ${context.stateDir} (control token, CA key, presets, audit), connect anywhere over TCP, signal the core, use UNIX sockets and TIOCSTI; only the core being non-dumpable keeps it out of the core's memory; use --isolate`,
    ],
  };
}

export function formatReport(report: SandboxReport): string {
  const lines: string[] = [];
  if (report.enforced.length > 0) lines.push(`openshell-term: agent sandbox: ${report.enforced.join('; ')}`);
  for (const gap of report.notEnforced) lines.push(`openshell-term: NOT enforced: ${gap}`);
  return lines.map((l) => `${l}\n`).join('');
}
