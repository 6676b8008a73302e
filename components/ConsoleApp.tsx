// The console's layout: title bar, the current screen (or an overlay), a prompt, the nav bar. The live
// area stays shorter than the terminal, so Ink never clears the whole screen per frame. Behaviour is the
// UI reducer's (src/store/ui/); each screen below selects only what it draws.
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { UiProvider, useUi } from '../hooks/console-contexts.js';
import { useConsole } from '../hooks/useConsole.js';
import { Banners, useBannerCount } from './Banners.js';
import { DashboardScreen } from './DashboardScreen.js';
import { Footer } from './Footer.js';
import { PendingCallDialog } from './PendingCallDialog.js';
import { Header } from './Header.js';
import { HelpScreen } from './HelpScreen.js';
import { InboxScreen } from './InboxScreen.js';
import { LogsScreen } from './LogsScreen.js';
import { SandboxScreen } from './SandboxScreen.js';
import { SelectionOverlay } from './SelectionOverlay.js';

export interface ConsoleAppProps {
  onQuit(): void;
  theme?: string;
  /** The status line to start with. */
  status?: string;
}

export function ConsoleApp({ onQuit, theme, status }: ConsoleAppProps) {
  const { ui, dispatch } = useConsole({ onQuit, theme, status });
  return (
    <UiProvider ui={ui} dispatch={dispatch}>
      <Layout />
    </UiProvider>
  );
}

function Layout() {
  const rows = useUi((s) => s.rows);
  const columns = useUi((s) => s.columns);
  const screen = useUi((s) => s.screen);
  const overlay = useUi((s) => s.overlay);
  // Title (1) + prompt (1) + nav bar (2), inside a live area two rows shorter than the terminal: Ink
  // writes a final newline, and a frame as tall as the terminal scrolls it and leaves stale lines behind.
  const banners = useBannerCount();
  const bodyHeight = Math.max(4, rows - 6 - banners);
  let body: ReactNode;
  if (overlay === 'help') body = <HelpScreen />;
  else if (screen === 'inbox' && (overlay === 'detail' || overlay === 'promote')) body = <SelectionOverlay />;
  else if (screen === 'inbox') body = <InboxScreen height={bodyHeight} width={columns} />;
  else if (screen === 'dashboard') body = <DashboardScreen />;
  else if (screen === 'sandbox') body = <SandboxScreen height={bodyHeight} />;
  else body = <LogsScreen height={bodyHeight - 1} width={columns} />;
  return (
    <Box flexDirection="column" height={rows - 2} width={columns}>
      <Header />
      <Banners />
      {/* Children must not shrink: Yoga would squeeze lines onto each other. Too tall is clipped instead. */}
      <Box flexDirection="column" height={bodyHeight} overflow="hidden">
        <Box flexDirection="column" flexShrink={0}>
          {body}
        </Box>
      </Box>
      <PendingCallDialog />
      <Footer />
    </Box>
  );
}
