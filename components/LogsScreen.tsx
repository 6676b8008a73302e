// Logs with k9s follow semantics; Enter shows the line at the cursor in full.
import { useMemo } from 'react';
import { useUi } from '../hooks/console-contexts.js';
import { useConsoleStore } from '../src/store/context.js';
import { selectLogCursor, selectVisibleLogs } from '../src/store/ui/selectors.js';
import { LogsPane } from './LogsPane.js';
import { useTheme } from './theme.js';

export function LogsScreen({ height, width }: { height: number; width: number }) {
  const theme = useTheme();
  const logs = useConsoleStore((s) => s.logs);
  const level = useUi((s) => s.logLevel);
  const source = useUi((s) => s.logSource);
  const kind = useUi((s) => s.logKind);
  const filter = useUi((s) => s.logsFilter);
  const following = useUi((s) => s.following);
  const pausedCursor = useUi((s) => s.pausedCursor);
  const detail = useUi((s) => s.overlay === 'detail');
  const lines = useMemo(() => selectVisibleLogs(logs, level, source, filter, kind), [logs, level, source, filter, kind]);
  const cursor = selectLogCursor({ following, pausedCursor }, lines.length);
  return (
    <LogsPane
      lines={lines}
      cursor={cursor}
      following={following}
      height={height}
      width={width}
      filter={filter}
      level={level}
      source={source}
      kind={kind}
      detail={detail}
      theme={theme}
    />
  );
}
