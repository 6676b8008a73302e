// Gateways and sandboxes at a glance.
import { memo } from 'react';
import { Box, Text } from 'ink';
import { Table } from 'ink-table';
import type { ConnectionState, GatewayInfo, SandboxInfo } from '../src/gateway/gateway.js';
import { age, safe } from './format.js';
import type { Theme } from './theme.js';

export interface DashboardProps {
  gateways: Array<{ info: GatewayInfo; connection: ConnectionState; active: boolean }>;
  sandboxes: SandboxInfo[];
  pendingBySandbox: Record<string, number>;
  now: number;
  theme: Theme;
}

function DashboardView({ gateways, sandboxes, pendingBySandbox, now, theme }: DashboardProps) {
  return (
    <Box flexDirection="column">
      <Text bold color={theme.accent}>Gateways</Text>
      <Table
        padding={0}
        data={gateways.map((g) => ({ ' ': g.active ? '›' : ' ', name: g.info.name, mode: g.info.mode, health: g.connection.status, endpoint: safe(g.info.endpoint), version: g.info.version }))}
      />
      <Text bold color={theme.accent}>Providers</Text>
      <Text color={theme.muted}>  none in standalone mode (the embedded core has no inference providers; gateway mode lists them)</Text>
      <Text bold color={theme.accent}>Sandboxes <Text color={theme.muted}>(Enter opens)</Text></Text>
      <Table
        padding={0}
        data={sandboxes.map((s) => ({ name: safe(s.name), phase: s.phase, 'policy rev': s.policyRevision, pending: pendingBySandbox[s.name] ?? 0, age: age(s.createdAt, now) }))}
      />
    </Box>
  );
}

/** Memoised: re-renders only when its props change (not on every unrelated store flush). */
export const Dashboard = memo(DashboardView);
