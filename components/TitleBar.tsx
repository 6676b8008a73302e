// Brand │ gateway, mode, health │ sandbox │ pending badge │ policy revision — one line, truncated to
// the terminal's width (a wrapped line would throw Ink's redraw off by a row).
import { memo } from 'react';
import { Text } from 'ink';
import type { ConnectionState, GatewayInfo } from '../src/gateway/gateway.js';
import { safe, workspaceTitle } from './format.js';
import type { Theme } from './theme.js';

export interface TitleBarProps {
  gateway: GatewayInfo;
  connection: ConnectionState;
  sandbox: string;
  /** `0.1.11 · openshell.v1`, for gateways that speak a wire protocol. */
  protocol?: string;
  /** The workspace on screen, on gateways with workspaces. */
  workspace?: string;
  pending: number;
  revision?: number;
  now: number;
  theme: Theme;
}

function TitleBarView({ gateway, connection, sandbox, protocol, workspace, pending, revision, now, theme }: TitleBarProps) {
  const health =
    connection.status === 'connected' ? (
      <Text color={theme.ok}>● connected</Text>
    ) : connection.status === 'connecting' ? (
      <Text color={theme.warn}>◌ connecting</Text>
    ) : (
      <Text color={theme.danger}>
        ○ disconnected{connection.retryAt ? `, retry in ${Math.max(0, Math.ceil((connection.retryAt - now) / 1000))}s` : ''}
      </Text>
    );
  return (
    <Text wrap="truncate">
      <Text bold color={theme.accent}>
        openshell-term
      </Text>
      <Text color={theme.muted}> │ </Text>
      {safe(gateway.name)} ({gateway.mode}){protocol && <Text color={theme.muted}> {safe(protocol)}</Text>} {health}
      {workspace !== undefined && (
        <>
          <Text color={theme.muted}> │ </Text>
          <Text color={theme.accent}>{safe(workspaceTitle(workspace))}</Text>
        </>
      )}
      <Text color={theme.muted}> │ </Text>
      sandbox {safe(sandbox)}
      <Text color={theme.muted}> │ </Text>
      <Text color={pending > 0 ? theme.warn : theme.muted} bold={pending > 0}>
        {pending} pending
      </Text>
      {revision !== undefined && <Text color={theme.muted}> │ rev {revision}</Text>}
    </Text>
  );
}

/** Memoised: re-renders only when its props change (not on every unrelated store flush). */
export const TitleBar = memo(TitleBarView);
