// Telling the operator a request is waiting when they are looking elsewhere: the terminal bell, a desktop
// notification through the terminal (OSC 9, understood by iTerm2, Windows Terminal, kitty, WezTerm, foot;
// OSC 777, by urxvt and VTE terminals such as GNOME Terminal), and/or a command of the operator's
// (--notify-cmd). Only a new pending request notifies; under a flood at most a few do (a token bucket),
// and the next one that gets through says how many were held back. The command runs without a shell:
// its argv is the flag's words, the request's facts come in environment variables, so nothing an agent
// controls (a host, a path) is ever parsed as a command.
import { spawn } from 'node:child_process';
import { sanitizeForTerminal } from '../core/text/sanitize.js';
import type { GatewayEvent, InboxRequest } from '../gateway/gateway.js';

export type DesktopNotification = 'osc9' | 'osc777';

export interface NotifyOptions {
  bell?: boolean;
  desktop?: DesktopNotification;
  /** argv of a command to run on each new pending request (no shell). */
  command?: string[];
  /** Notifications let through at once, then one per `intervalMs` (default 3 and 5 s). */
  burst?: number;
  intervalMs?: number;
  now?: () => number;
  write?: (text: string) => void;
  run?: (argv: string[], env: NodeJS.ProcessEnv) => Promise<void>;
  /** Something went wrong telling the operator (the command failed): said once per kind of problem. */
  onProblem?: (message: string) => void;
}

/** A token bucket: `burst` at once, then one per interval; counts what it held back. */
export class RateLimit {
  private tokens: number;
  private last: number;
  private held = 0;

  constructor(
    private readonly burst: number,
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Whether to go ahead now; when it does, how many were held back since the last that went. */
  take(): { go: false } | { go: true; skipped: number } {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (t - this.last) / this.intervalMs);
    this.last = t;
    if (this.tokens < 1) {
      this.held++;
      return { go: false };
    }
    this.tokens--;
    const skipped = this.held;
    this.held = 0;
    return { go: true, skipped };
  }
}

/** Only printable text in an OSC payload (an agent's host cannot end the sequence or start another). */
const oscText = (text: string) => sanitizeForTerminal(text).replace(/[\u0000-\u001f\u007f-\u009f;]/g, ' ');

export function describeRequest(r: InboxRequest): string {
  const sample = r.samples[0];
  return `${r.host}:${r.port}${sample ? ` ${sample.method} ${sample.path}` : ''} (${r.binary.split('/').pop() || r.binary})`;
}

/** The escape sequence for a desktop notification. */
export function desktopSequence(kind: DesktopNotification, title: string, body: string): string {
  return kind === 'osc9' ? `\u001b]9;${oscText(`${title}: ${body}`)}\u0007` : `\u001b]777;notify;${oscText(title)};${oscText(body)}\u0007`;
}

/** The facts of a request as environment variables for --notify-cmd. */
export function requestEnv(gateway: string, r: InboxRequest, skipped: number): Record<string, string> {
  const sample = r.samples[0];
  return {
    OPENSHELL_GATEWAY_NAME: gateway,
    OPENSHELL_REQUEST_ID: r.id,
    OPENSHELL_REQUEST_HOST: r.host,
    OPENSHELL_REQUEST_PORT: String(r.port),
    OPENSHELL_REQUEST_BINARY: r.binary,
    OPENSHELL_REQUEST_SANDBOX: r.sandbox,
    OPENSHELL_REQUEST_METHOD: sample?.method ?? 'CONNECT',
    OPENSHELL_REQUEST_PATH: sample?.path ?? '',
    OPENSHELL_REQUEST_REASON: r.reason,
    /** Notifications held back by the rate limit since the last one. */
    OPENSHELL_NOTIFICATIONS_SKIPPED: String(skipped),
  };
}

/** Splits --notify-cmd into argv: words separated by spaces, no shell (no quotes, no expansion). */
export function parseNotifyCommand(text: string): string[] {
  const argv = text.split(/\s+/).filter(Boolean);
  if (argv.length === 0) throw new Error('--notify-cmd needs a command (its words are the argv; no shell)');
  return argv;
}

function runDetached(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { env, stdio: 'ignore', shell: false });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${argv[0]} exited with ${signal ?? `code ${code}`}`)),
    );
  });
}

export const isNewPending = (event: GatewayEvent): event is Extract<GatewayEvent, { type: 'request' }> =>
  event.type === 'request' && event.request.hits === 1 && event.request.status === 'pending';

/** A listener for the gateway pool's events that notifies as asked, or undefined when nothing is asked. */
export function notifier(options: NotifyOptions): ((gateway: string, event: GatewayEvent) => void) | undefined {
  const { bell, desktop, command } = options;
  if (!bell && !desktop && !command) return undefined;
  const now = options.now ?? Date.now;
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const run = options.run ?? runDetached;
  const limit = new RateLimit(options.burst ?? 3, options.intervalMs ?? 5000, now);
  const reported = new Set<string>();
  const problem = (key: string, message: string) => {
    if (reported.has(key)) return;
    reported.add(key);
    options.onProblem?.(message);
  };
  return (gateway, event) => {
    if (!isNewPending(event)) return;
    const turn = limit.take();
    if (!turn.go) return;
    const r = event.request;
    const more = turn.skipped > 0 ? ` (+${turn.skipped} more)` : '';
    if (bell) write('\u0007');
    if (desktop) write(desktopSequence(desktop, 'openshell-term', `${gateway}: ${describeRequest(r)} waits for a decision${more}`));
    if (command)
      run(command, { ...process.env, ...requestEnv(gateway, r, turn.skipped) }).catch((error: Error) =>
        problem(error.message, `--notify-cmd failed: ${error.message}`),
      );
  };
}
