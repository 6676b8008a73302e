// The console's layout: title bar, the current screen (or an overlay), a prompt, the nav bar. The live
// area stays shorter than the terminal, so Ink never clears the whole screen per frame.
import { Box, Text } from 'ink';
import { type ReactNode, useMemo, useState } from 'react';
import { helpFor, hintsFor } from '../hooks/keymap.js';
import { useConsoleController } from '../hooks/useConsoleController.js';
import { useNow } from '../hooks/useNow.js';
import { useTerminalSize } from '../hooks/useTerminalSize.js';
import { useConsoleStore } from '../src/store/context.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { Dashboard } from './Dashboard.js';
import { HelpOverlay } from './HelpOverlay.js';
import { InboxTable } from './InboxTable.js';
import { LogsPane } from './LogsPane.js';
import { NavBar } from './NavBar.js';
import { Prompt } from './Prompt.js';
import { PromoteDialog } from './PromoteDialog.js';
import { RequestDetail } from './RequestDetail.js';
import { SandboxView } from './SandboxView.js';
import { resolveTheme } from './theme.js';
import { TitleBar } from './TitleBar.js';

export interface ConsoleAppProps {
  onQuit(): void;
  theme?: string;
}

const PROMPT_LABEL = { filter: '/', command: ':', reason: 'reject reason: ' } as const;

export function ConsoleApp({ onQuit, theme: initialTheme }: ConsoleAppProps) {
  const { rows, columns } = useTerminalSize();
  const [themeName, setThemeName] = useState(initialTheme);
  const theme = useMemo(() => resolveTheme(themeName), [themeName]);
  const now = useNow();
  const c = useConsoleController({ rows, onQuit, onTheme: setThemeName });
  const gateway = useConsoleStore((s) => s.gateway);
  const connection = useConsoleStore((s) => s.connection);
  const revision = useConsoleStore((s) => s.revision);
  const sandboxes = useConsoleStore((s) => s.sandboxes);
  const requests = useConsoleStore((s) => s.requests);
  const pending = useMemo(() => Object.values(requests).filter((r) => r.status === 'pending').length, [requests]);

  // Title (1) + prompt (1) + nav bar (2), inside a live area two rows shorter than the terminal: Ink
  // writes a final newline, and a frame as tall as the terminal scrolls it and leaves stale lines behind.
  const bodyHeight = Math.max(4, rows - 6);
  // A table row per request plus its border lines and the position line.
  const tableRows = Math.max(1, Math.floor((bodyHeight - 4) / 2));

  let body: ReactNode;
  if (c.overlay === 'help') body = <HelpOverlay screen={c.screen} entries={helpFor(c.screen)} theme={theme} />;
  else if (c.overlay === 'detail' && c.selected) body = <RequestDetail request={c.selected} now={now} theme={theme} />;
  else if (c.overlay === 'promote' && c.selected && c.promoteForm) {
    body = (
      <PromoteDialog
        requestLabel={`${c.selected.id} ${c.selected.host}:${c.selected.port}`}
        form={c.promoteForm}
        focus={c.promoteFocus}
        binary={c.selected.binary}
        preview={c.promotePreview.yaml}
        error={c.promotePreview.error}
        theme={theme}
      />
    );
  } else if (c.screen === 'inbox') {
    body = (
      <Box flexDirection="column">
        <InboxTable
          rows={c.visible}
          selectedId={c.selectedId}
          height={tableRows}
          width={columns}
          now={now}
          filter={c.inboxFilter}
          total={Object.keys(requests).length}
          theme={theme}
        />
        {c.overlay === 'confirm-all' && (
          <ConfirmDialog
            question={`Approve all ${c.pendingVisible} visible pending requests (${c.lifetimes ? c.lifetime : 'one policy revision'})?`}
            theme={theme}
          />
        )}
      </Box>
    );
  } else if (c.screen === 'dashboard') {
    const pendingBySandbox: Record<string, number> = {};
    for (const r of Object.values(requests))
      if (r.status === 'pending') pendingBySandbox[r.sandbox] = (pendingBySandbox[r.sandbox] ?? 0) + 1;
    body = (
      <Dashboard
        gateways={c.gateways}
        active={c.activeGateway}
        cursor={c.dashCursor}
        providers={c.providers}
        sandboxes={sandboxes}
        pendingBySandbox={pendingBySandbox}
        now={now}
        theme={theme}
      />
    );
  } else if (c.screen === 'sandbox') {
    body = (
      <SandboxView
        policy={c.policy}
        comparison={c.comparison}
        revisions={c.revisions}
        height={bodyHeight}
        scroll={c.policyScroll}
        theme={theme}
        error={c.policyError}
      />
    );
  } else {
    body = (
      <LogsPane
        lines={c.logs}
        cursor={c.logCursor}
        following={c.following}
        height={bodyHeight - 1}
        width={columns}
        filter={c.logsFilter}
        level={c.logLevel}
        source={c.logSource}
        detail={c.logDetail}
        theme={theme}
      />
    );
  }

  return (
    <Box flexDirection="column" height={rows - 2} width={columns}>
      <TitleBar
        gateway={gateway}
        connection={connection}
        sandbox={c.currentSandbox ?? (sandboxes.length > 1 ? `${sandboxes.length} sandboxes` : (sandboxes[0]?.name ?? '—'))}
        pending={pending}
        revision={revision?.number}
        now={now}
        theme={theme}
      />
      {/* Children must not shrink: Yoga would squeeze lines onto each other. Too tall is clipped instead. */}
      <Box flexDirection="column" height={bodyHeight} overflow="hidden">
        <Box flexDirection="column" flexShrink={0}>
          {body}
        </Box>
      </Box>
      {c.prompt ? <Prompt label={PROMPT_LABEL[c.prompt.kind]} value={c.prompt.value} theme={theme} /> : <Text> </Text>}
      <NavBar
        hints={hintsFor(c.screen, c.lifetimes ? [] : ['cycleLifetime'])}
        lifetime={c.screen === 'inbox' && c.lifetimes ? c.lifetime : undefined}
        status={c.status}
        theme={theme}
      />
    </Box>
  );
}
