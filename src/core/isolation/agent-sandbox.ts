// Starts an agent inside native/agent-sandbox: the helper restricts itself (Landlock, seccomp, uid,
// capabilities, network namespace), reports on fd 3 what the kernel enforced, waits on fd 4 for the go,
// then execs the agent under the same pid. `run` prints the report and registers that pid with the core
// before sending the go, so the core knows the agent before the agent's first connection.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { PROJECT_ROOT } from '../../project-root.js';

/** native/agent-sandbox's executable, or undefined when it was not built (or is switched off for tests). */
export function agentSandboxBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.platform !== 'linux' || env.OPENSHELL_TERM_NO_AGENT_SANDBOX === '1') return undefined;
  const path = join(PROJECT_ROOT, 'native', 'agent-sandbox', 'build', 'Release', 'agent-sandbox');
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

export interface SandboxSpec {
  /** Paths the agent may neither read nor write (the state dir, key files). */
  hide: string[];
  /** Paths the agent may read and run but not change (openshell-term's own files). */
  readOnly?: string[];
  /** The only TCP ports the agent may connect to (the proxy's). */
  connectPorts: number[];
  /** Run as this user (root only). */
  user?: string;
  /** Clear every capability set (always, for an agent that would run as root). */
  dropCaps: boolean;
  /** Join this network namespace (a /run/netns file) first. */
  netns?: string;
  /** Let the agent make UNIX sockets (off: they reach the operator's tmux, ssh-agent, D-Bus). */
  allowUnixSockets?: boolean;
  /** Use at most this Landlock ABI (tests of the degraded paths; OPENSHELL_TERM_LANDLOCK_ABI_MAX). */
  abiMax?: number;
}

/** What the helper reports, read from the kernel after everything was applied. */
export interface SandboxStatus {
  kernel_abi: number;
  abi: number;
  fs: boolean;
  fs_rules: number;
  tcp: boolean;
  scope_signal: boolean;
  scope_abstract_unix: boolean;
  no_new_privs: boolean;
  seccomp: boolean;
  netns: boolean;
  uid: number;
  gid: number;
  cap_eff: string;
  cap_prm: string;
  cap_inh: string;
  cap_bnd: string;
  cap_amb: string;
}

export function sandboxArgs(spec: SandboxSpec): string[] {
  const args: string[] = [];
  for (const path of spec.hide) args.push('--hide', path);
  for (const path of spec.readOnly ?? []) args.push('--read-only', path);
  for (const port of spec.connectPorts) args.push('--connect-port', String(port));
  if (spec.user !== undefined) args.push('--user', spec.user);
  if (spec.dropCaps) args.push('--drop-caps');
  if (spec.netns) args.push('--netns', spec.netns);
  if (spec.allowUnixSockets) args.push('--allow-unix-sockets');
  if (spec.abiMax !== undefined) args.push('--abi-max', String(spec.abiMax));
  return args;
}

export interface SandboxedAgent {
  child: ChildProcess;
  /** The agent's pid (the helper execs it in place). */
  pid: number;
  status: SandboxStatus;
  /** Lets the agent start. */
  go(): void;
}

export class SandboxError extends Error {}

/** Spawns the helper and resolves once it has applied everything and reported; the agent waits for go(). */
export function startSandboxedAgent(
  binary: string,
  spec: SandboxSpec,
  command: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string },
): Promise<SandboxedAgent> {
  const child = spawn(binary, [...sandboxArgs(spec), '--status-fd', '3', '--go-fd', '4', '--', ...command], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe', 'pipe'],
    env: options.env,
    cwd: options.cwd,
  });
  const statusPipe = child.stdio[3] as NodeJS.ReadableStream | null;
  const goPipe = child.stdio[4] as Writable | null;
  return new Promise((resolve, reject) => {
    let text = '';
    const fail = (message: string) => {
      goPipe?.destroy();
      reject(new SandboxError(message));
    };
    child.once('error', (error) => fail(`cannot start the agent sandbox: ${error.message}`));
    statusPipe?.setEncoding?.('utf8');
    statusPipe?.on('data', (chunk: string) => (text += chunk));
    statusPipe?.on('end', () => {
      let parsed: SandboxStatus | { error: string };
      try {
        parsed = JSON.parse(text) as SandboxStatus | { error: string };
      } catch {
        return fail(`the agent sandbox did not report (exit ${child.exitCode ?? child.signalCode ?? 'unknown'})`);
      }
      if ('error' in parsed) return fail(`the agent sandbox could not apply its rules: ${parsed.error}`);
      goPipe?.on('error', () => {}); // an agent that is gone already: its exit says so
      resolve({
        child,
        pid: child.pid!,
        status: parsed,
        go: () => goPipe?.end('g'),
      });
    });
  });
}
