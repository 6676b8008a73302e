// Binds keys, store and gateway: owns the console's UI state (screen, selection, overlays, text fields)
// and the one useInput handler. Gateway calls are fired without awaiting: the key path never waits on I/O.
import { useInput, type Key } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { InboxRequest, Lifetime, PolicyView, ProviderInfo, RevisionInfo } from '../src/gateway/gateway.js';
import { diffRevisions, type DiffLine } from '../src/core/revisions/revision-diff.js';
import { presetFromRequest, presetYaml } from '../src/core/presets/promote.js';
import type { PromoteForm } from '../components/PromoteDialog.js';
import { useConsoleStore, useGateway, useGatewayDirectory } from '../src/store/context.js';
import { commandFor, SCREENS, type CommandId, type Screen } from './keymap.js';

export const LIFETIMES: Lifetime[] = ['session', 'once', '10m'];

export type Overlay = 'none' | 'help' | 'detail' | 'confirm-all' | 'promote';

const ACCESS_CYCLE = ['read-only', 'read-write', 'full'] as const;

/** A preset name from a host: "api.pypi.org" → "api-pypi-org" (an RFC 1123 label). */
export function presetNameFor(host: string): string {
  return (
    host
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63)
      .replace(/-+$/, '') || 'preset'
  );
}
export type PromptKind = 'filter' | 'command' | 'reason';

export interface ControllerOptions {
  rows: number;
  onQuit(): void;
  onTheme?(name: string): void;
}

export function matchesFilter(r: InboxRequest, filter: string): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return [r.host, `${r.host}:${r.port}`, r.binary, r.status, r.sandbox].some((v) => v.toLowerCase().includes(f));
}

export function useConsoleController({ rows, onQuit, onTheme }: ControllerOptions) {
  const gateway = useGateway();
  const requests = useConsoleStore((s) => s.requests);
  const order = useConsoleStore((s) => s.order);
  const logs = useConsoleStore((s) => s.logs);
  const revision = useConsoleStore((s) => s.revision);

  const [screen, setScreen] = useState<Screen>('inbox');
  const [overlay, setOverlay] = useState<Overlay>('none');
  const [prompt, setPrompt] = useState<{ kind: PromptKind; value: string } | undefined>();
  const [inboxFilter, setInboxFilter] = useState('');
  const [logsFilter, setLogsFilter] = useState('');
  const [logLevel, setLogLevel] = useState<'all' | 'info' | 'warn' | 'error'>('all');
  const [logSource, setLogSource] = useState('all');
  const [logDetail, setLogDetail] = useState(false);
  const [selectedId, setSelectedId] = useState<string | undefined>();
  const [lifetimeIndex, setLifetimeIndex] = useState(0);
  const [status, setStatus] = useState<{ text: string; kind: 'info' | 'error' } | undefined>();
  const [pausedCursor, setPausedCursor] = useState(0);
  const [following, setFollowing] = useState(true);
  const [policy, setPolicy] = useState<PolicyView | undefined>();
  const [revisions, setRevisions] = useState<RevisionInfo[]>([]);
  const [policyError, setPolicyError] = useState<string | undefined>();
  const [policyScroll, setPolicyScroll] = useState(0);
  const [compareRev, setCompareRev] = useState<number | undefined>();
  // The dashboard's cursor runs over the gateways, then the sandboxes; Enter switches or opens.
  const directory = useGatewayDirectory();
  const sandboxes = useConsoleStore((s) => s.sandboxes);
  // Starts on the first sandbox: opening it is what Enter is for most of the time.
  const [dashCursor, setDashCursor] = useState(directory.entries.length);
  const [currentSandbox, setCurrentSandbox] = useState<string | undefined>();
  const dashRows = Math.max(1, directory.entries.length + sandboxes.length);
  // The cursor as stored may point past rows that went away (a sandbox deleted): clamp once, use everywhere.
  const dashIndex = Math.min(dashCursor, dashRows - 1);
  const [promoteForm, setPromoteForm] = useState<PromoteForm | undefined>();
  const [promoteFocus, setPromoteFocus] = useState(0);
  const [builtinNames, setBuiltinNames] = useState<string[]>([]);
  const [comparison, setComparison] = useState<{ from: number; to: number; lines: DiffLine[] } | undefined>();

  const visible = useMemo(
    () => order.map((id) => requests[id]).filter((r) => r && matchesFilter(r, inboxFilter)),
    [order, requests, inboxFilter],
  );
  const visibleLogs = useMemo(() => {
    const rank = { debug: 0, info: 1, warn: 2, error: 3 } as const;
    const min = logLevel === 'all' ? 0 : rank[logLevel];
    const text = logsFilter.toLowerCase();
    if (!text && min === 0 && logSource === 'all') return logs;
    return logs.filter(
      (l) =>
        rank[l.level] >= min &&
        (logSource === 'all' || l.source === logSource) &&
        (!text || `${l.source} ${l.message}`.toLowerCase().includes(text)),
    );
  }, [logs, logsFilter, logLevel, logSource]);
  const selectedIndex = Math.max(
    0,
    visible.findIndex((r) => r.id === selectedId),
  );
  // While following, the cursor is the newest line: derived, not copied into state on every new line.
  const logCursor = following ? Math.max(0, visibleLogs.length - 1) : Math.min(pausedCursor, Math.max(0, visibleLogs.length - 1));
  const selected: InboxRequest | undefined = visible[selectedIndex];
  const pageSize = Math.max(1, rows - 10);

  // Keep a selection once there are rows.
  useEffect(() => {
    if (!selected && visible.length > 0) setSelectedId(visible[0].id);
  }, [selected, visible]);

  // The sandbox screen loads the policy asynchronously, again whenever the revision changes.
  useEffect(() => {
    if (screen !== 'sandbox') return;
    let cancelled = false;
    Promise.all([gateway.policy(undefined, currentSandbox), gateway.revisions(currentSandbox)])
      .then(([p, r]) => !cancelled && (setPolicy(p), setRevisions(r), setPolicyError(undefined)))
      .catch((e: Error) => !cancelled && setPolicyError(e.message));
    return () => {
      cancelled = true;
    };
  }, [screen, revision?.number, gateway, currentSandbox]);

  // The dashboard lists the gateway's providers, fetched when it opens and on reconnect.
  const [providers, setProviders] = useState<ProviderInfo[] | string | undefined>();
  const connected = useConsoleStore((s) => s.connection.status === 'connected');
  useEffect(() => {
    if (screen !== 'dashboard' || !connected) return;
    let cancelled = false;
    gateway.providers().then(
      (p) => !cancelled && setProviders(p),
      (e: Error) => !cancelled && setProviders(`providers unavailable: ${e.message}`),
    );
    return () => {
      cancelled = true;
    };
  }, [screen, connected, gateway]);

  // Comparing a past revision with the current one: both fetched asynchronously, diffed here.
  useEffect(() => {
    if (compareRev === undefined) return setComparison(undefined);
    let cancelled = false;
    Promise.all([gateway.policy(compareRev, currentSandbox), gateway.policy(undefined, currentSandbox)])
      .then(
        ([before, now]) =>
          !cancelled &&
          setComparison({ from: before.revision.number, to: now.revision.number, lines: diffRevisions(before.yaml, now.yaml) }),
      )
      .catch((e: Error) => !cancelled && (setCompareRev(undefined), setStatus({ text: e.message, kind: 'error' })));
    return () => {
      cancelled = true;
    };
  }, [compareRev, revision?.number, gateway, currentSandbox]);

  // The promote dialog validates and previews live, with the same code that will write the file.
  const promotePreview = useMemo((): { yaml?: string; error?: string } => {
    if (!promoteForm || !selected) return {};
    if (builtinNames.includes(promoteForm.name)) return { error: `'${promoteForm.name}' is a built-in preset name; choose another` };
    try {
      const doc = presetFromRequest({
        host: selected.host,
        port: selected.port,
        binary: selected.binary,
        method: selected.samples[0]?.method,
        ...promoteForm,
      });
      return { yaml: presetYaml(doc).trimEnd() };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }, [promoteForm, selected, builtinNames]);

  const say = (text: string, kind: 'info' | 'error' = 'info') => setStatus({ text, kind });
  const act = (what: string, run: () => Promise<void>) => {
    run()
      .then(() => say(what))
      .catch((e: Error) => say(`${what} failed: ${e.message}`, 'error'));
  };
  const lifetime = LIFETIMES[lifetimeIndex];
  // Only the embedded core has session-scoped approvals; on a gateway an approval is a policy revision.
  const lifetimes = gateway.info.mode === 'standalone';

  const approve = (r: InboxRequest | undefined, life: Lifetime = lifetime) =>
    r
      ? act(`approved ${r.id} ${r.host}:${r.port}${lifetimes ? ` (${life})` : ' (a new policy revision)'}`, () =>
          gateway.approve(r.id, life),
        )
      : say('nothing selected', 'error');
  const reject = (r: InboxRequest | undefined, reason?: string) =>
    r ? act(`rejected ${r.id} ${r.host}:${r.port}`, () => gateway.reject(r.id, reason)) : say('nothing selected', 'error');

  const move = (delta: number) => {
    if (screen === 'inbox' && visible.length > 0) {
      const next = Math.min(visible.length - 1, Math.max(0, selectedIndex + delta));
      setSelectedId(visible[next].id);
    } else if (screen === 'logs') {
      setFollowing(false);
      setPausedCursor(Math.min(Math.max(0, visibleLogs.length - 1), Math.max(0, logCursor + delta)));
    } else if (screen === 'sandbox') {
      setPolicyScroll((s) => Math.max(0, s + delta));
    } else if (screen === 'dashboard') {
      setDashCursor((c) => Math.min(dashRows - 1, Math.max(0, Math.min(c, dashRows - 1) + delta))); // functional: several keys in one event all move
    }
  };

  const openDashboardRow = () => {
    const entry = directory.entries[dashIndex];
    if (entry) {
      if (entry.info.name === directory.active) return say(`already on ${entry.info.name}`);
      const problem = directory.switchTo(entry.info.name);
      return problem ? say(`cannot switch to ${entry.info.name}: ${problem}`, 'error') : undefined;
    }
    const sandbox = sandboxes[dashIndex - directory.entries.length];
    if (!sandbox) return;
    setCurrentSandbox(sandbox.name);
    setPolicyScroll(0);
    setScreen('sandbox');
  };

  const runCommandLine = (line: string) => {
    const [word, ...args] = line.trim().split(/\s+/);
    const byId = (id?: string) => (id ? requests[id] : undefined);
    switch (word) {
      case 'q':
      case 'quit':
        return onQuit();
      case 'approve':
        return byId(args[0]) ? approve(byId(args[0]), (args[1] as Lifetime) ?? lifetime) : say(`no request '${args[0] ?? ''}'`, 'error');
      case 'reject':
        return byId(args[0]) ? reject(byId(args[0]), args.slice(1).join(' ') || undefined) : say(`no request '${args[0] ?? ''}'`, 'error');
      case 'theme':
        if (args[0] === 'light' || args[0] === 'dark' || args[0] === 'auto') return (onTheme?.(args[0]), say(`theme ${args[0]}`));
        return say('usage: :theme light|dark|auto', 'error');
      case 'help':
        return setOverlay('help');
      case 'preset': {
        const [verb, name] = args;
        if ((verb === 'add' || verb === 'remove') && name) {
          return act(`${verb === 'add' ? 'applied' : 'removed'} preset '${name}'`, () =>
            verb === 'add' ? gateway.addPreset(name, currentSandbox) : gateway.removePreset(name, currentSandbox),
          );
        }
        return say('usage: :preset add NAME | :preset remove NAME', 'error');
      }
      case 'tier':
        if (!args[0]) return say('usage: :tier restricted|balanced|open', 'error');
        gateway.applyTier(args[0], currentSandbox).then(
          (added) => say(added.length > 0 ? `tier ${args[0]}: applied ${added.join(', ')}` : `tier ${args[0]}: already applied`),
          (e: Error) => say(e.message, 'error'),
        );
        return;
      case 'level':
        if (args[0] === 'all' || args[0] === 'info' || args[0] === 'warn' || args[0] === 'error')
          return (setScreen('logs'), setLogLevel(args[0]), say(`logs: level ${args[0]} and above`));
        return say('usage: :level all|info|warn|error', 'error');
      case 'source':
        if (!args[0]) return say('usage: :source NAME|all', 'error');
        return (setScreen('logs'), setLogSource(args[0]), say(`logs: source ${args[0]}`));
      case 'rev':
      case 'diff': {
        const n = Number(args[0]);
        if (!Number.isInteger(n) || n < 1) return say('usage: :rev N (compare revision N with the current policy)', 'error');
        setScreen('sandbox');
        setPolicyScroll(0);
        return setCompareRev(n);
      }
      case '':
      case undefined:
        return;
      default:
        return say(
          `unknown command ':${word}' (try :q, :approve ID, :reject ID [reason], :preset add NAME, :tier balanced, :rev N, :level warn, :source NAME, :theme light)`,
          'error',
        );
    }
  };

  const run = (id: CommandId) => {
    switch (id) {
      case 'approve':
        return approve(selected);
      case 'reject':
        return reject(selected);
      case 'rejectWithReason':
        return selected ? setPrompt({ kind: 'reason', value: '' }) : say('nothing selected', 'error');
      case 'approveAll': {
        const pending = visible.filter((r) => r.status === 'pending');
        return pending.length > 0 ? setOverlay('confirm-all') : say('no pending requests to approve');
      }
      case 'undo':
        return selected ? act(`undid ${selected.id}`, () => gateway.undo(selected.id)) : say('nothing selected', 'error');
      case 'promote': {
        if (!selected) return say('nothing selected', 'error');
        gateway.presets().then(
          (list) => setBuiltinNames(list.filter((p) => p.source === 'builtin').map((p) => p.name)),
          () => undefined,
        );
        const method = selected.samples[0]?.method;
        setPromoteForm({
          name: presetNameFor(selected.host),
          description: '',
          access: !method || ['GET', 'HEAD', 'OPTIONS'].includes(method) ? 'read-only' : 'read-write',
          anyBinary: selected.binary === 'unknown',
        });
        setPromoteFocus(0);
        return setOverlay('promote');
      }
      case 'cycleLifetime':
        return lifetimes
          ? setLifetimeIndex((i) => (i + 1) % LIFETIMES.length)
          : say('a gateway approval is a policy revision: it has no lifetime (undo takes it back)');
      case 'detail':
        if (screen === 'logs' && visibleLogs.length > 0) return setLogDetail(true);
        if (screen === 'dashboard') return openDashboardRow();
        return screen === 'inbox' && selected ? setOverlay('detail') : undefined;
      case 'filter':
        return setPrompt({ kind: 'filter', value: screen === 'logs' ? logsFilter : inboxFilter });
      case 'command':
        return setPrompt({ kind: 'command', value: '' });
      case 'help':
        return setOverlay('help');
      case 'follow':
        return setFollowing(true);
      case 'down':
        return move(1);
      case 'up':
        return move(-1);
      case 'pageDown':
        return move(pageSize);
      case 'pageUp':
        return move(-pageSize);
      case 'top':
        return screen === 'logs' ? (setFollowing(false), setPausedCursor(Math.min(visibleLogs.length - 1, pageSize - 1))) : move(-Infinity);
      case 'bottom':
        return screen === 'logs' ? setFollowing(true) : move(Infinity);
      case 'nextScreen':
        return setScreen(SCREENS[(SCREENS.indexOf(screen) + 1) % SCREENS.length]);
      case 'prevScreen':
        return setScreen(SCREENS[(SCREENS.indexOf(screen) + SCREENS.length - 1) % SCREENS.length]);
      case 'gotoInbox':
        return setScreen('inbox');
      case 'gotoDashboard':
        return setScreen('dashboard');
      case 'gotoSandbox':
        return setScreen('sandbox');
      case 'gotoLogs':
        return setScreen('logs');
      case 'back':
        if (screen === 'sandbox' && compareRev !== undefined) return setCompareRev(undefined);
        if (screen === 'inbox' && inboxFilter) return setInboxFilter('');
        if (screen === 'logs' && logsFilter) return setLogsFilter('');
        return screen !== 'inbox' ? setScreen('inbox') : undefined;
      case 'quit':
        return screen !== 'inbox' ? setScreen('inbox') : onQuit();
    }
  };

  const onKey = (input: string, key: Key) => {
    if (prompt) {
      if (key.return) {
        const { kind, value } = prompt;
        setPrompt(undefined);
        if (kind === 'filter') (screen === 'logs' ? setLogsFilter : setInboxFilter)(value);
        else if (kind === 'command') runCommandLine(value);
        else reject(selected, value || undefined);
        return;
      }
      if (key.escape) return setPrompt(undefined);
      if (key.backspace || key.delete) return setPrompt({ ...prompt, value: prompt.value.slice(0, -1) });
      if (!key.ctrl && !key.meta && input) setPrompt({ ...prompt, value: prompt.value + input.replace(/[\u0000-\u001f\u007f]/g, '') });
      return;
    }
    if (overlay === 'confirm-all') {
      if (input === 'y') {
        const ids = visible.filter((r) => r.status === 'pending').map((r) => r.id);
        act(`approved ${ids.length} request${ids.length === 1 ? '' : 's'} (${lifetime})`, () => gateway.approveAll(ids, lifetime));
      }
      if (input === 'y' || input === 'n' || key.escape) setOverlay('none');
      return;
    }
    if (overlay === 'promote' && promoteForm && selected) {
      if (key.escape) return setOverlay('none');
      if (key.tab || key.downArrow) return setPromoteFocus((f) => (f + (key.shift ? 3 : 1)) % 4);
      if (key.upArrow) return setPromoteFocus((f) => (f + 3) % 4);
      if (key.return) {
        if (promotePreview.error) return say(promotePreview.error, 'error');
        const target = selected;
        const form = promoteForm;
        setOverlay('none');
        gateway
          .promote(target.id, { ...form, description: form.description || undefined })
          .then((r) => say(`promoted ${target.id} to preset '${r.name}': wrote ${r.file} and applied it`))
          .catch((e: Error) => say(`promote failed: ${e.message}`, 'error'));
        return;
      }
      if (promoteFocus === 2 && (input === ' ' || key.leftArrow || key.rightArrow)) {
        const i = ACCESS_CYCLE.indexOf(promoteForm.access);
        return setPromoteForm({ ...promoteForm, access: ACCESS_CYCLE[(i + (key.leftArrow ? 2 : 1)) % 3] });
      }
      if (promoteFocus === 3 && (input === ' ' || key.leftArrow || key.rightArrow))
        return setPromoteForm({ ...promoteForm, anyBinary: !promoteForm.anyBinary });
      if (promoteFocus < 2) {
        const field = promoteFocus === 0 ? 'name' : 'description';
        if (key.backspace || key.delete) return setPromoteForm({ ...promoteForm, [field]: promoteForm[field].slice(0, -1) });
        if (!key.ctrl && !key.meta && input)
          return setPromoteForm({ ...promoteForm, [field]: promoteForm[field] + input.replace(/[\u0000-\u001f\u007f]/g, '') });
      }
      return;
    }
    if (logDetail) {
      if (key.escape || key.return || input === 'q') setLogDetail(false);
      return;
    }
    if (overlay !== 'none') {
      if (key.escape || input === 'q' || (overlay === 'help' && input === '?') || (overlay === 'detail' && key.return)) setOverlay('none');
      return;
    }
    // Several characters in one event (fast typing, tmux send-keys) are several keystrokes.
    const chars = !key.return && !key.escape && !key.tab && input.length > 1 ? [...input] : [input];
    for (const ch of chars) {
      const id = commandFor(screen, ch, key);
      if (id) run(id);
    }
  };

  // Ink re-subscribes the handler in an effect after each render; a key that lands before that effect
  // runs would see the previous render's state (a cursor that does not move). The ref always holds the
  // handler of the latest render.
  const onKeyRef = useRef(onKey);
  onKeyRef.current = onKey;
  useInput(useCallback((input: string, key: Key) => onKeyRef.current(input, key), []));

  return {
    screen,
    overlay,
    prompt,
    status,
    lifetime,
    selected,
    selectedId: selected?.id,
    visible,
    inboxFilter,
    logs: visibleLogs,
    logCursor,
    following,
    logsFilter,
    logLevel,
    logSource,
    logDetail,
    policy,
    revisions,
    policyError,
    policyScroll,
    comparison,
    pendingVisible: visible.filter((r) => r.status === 'pending').length,
    promoteForm,
    promoteFocus,
    promotePreview,
    lifetimes,
    providers,
    gateways: directory.entries,
    activeGateway: directory.active,
    dashCursor: dashIndex,
    currentSandbox,
  };
}
