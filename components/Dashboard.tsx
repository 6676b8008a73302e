// Gateways and sandboxes at a glance.
import { memo } from 'react';
import { Box, Text } from 'ink';
import { Table } from 'ink-table';
import type { ProviderInfo, SandboxInfo } from '../src/gateway/gateway.js';
import type { DirectoryEntry } from '../src/store/gateway-directory.js';
import { age, safe } from './format.js';
import type { Theme } from './theme.js';

export interface DashboardProps {
  gateways: DirectoryEntry[];
  /** The gateway on screen. */
  active: string;
  /** Row under the cursor: gateways first, then sandboxes. */
  cursor: number;
  /** The active gateway's providers; why there are none or they could not be listed; undefined while loading. */
  providers: ProviderInfo[] | { none: string } | { error: string } | undefined;
  sandboxes: SandboxInfo[];
  pendingBySandbox: Record<string, number>;
  now: number;
  theme: Theme;
}

function health(g: DirectoryEntry, now: number): string {
  const c = g.connection;
  if (g.problem) return 'unusable';
  if (c.status !== 'disconnected') return c.status;
  return c.retryAt ? `retry in ${Math.max(0, Math.ceil((c.retryAt - now) / 1000))}s` : 'disconnected';
}

function DashboardView({ gateways, active, cursor, providers, sandboxes, pendingBySandbox, now, theme }: DashboardProps) {
  const problem =
    gateways[cursor]?.problem ?? (gateways[cursor]?.connection.status === 'disconnected' ? gateways[cursor].connection.error : undefined);
  return (
    <Box flexDirection="column">
      <Text bold color={theme.accent}>
        Gateways <Text color={theme.muted}>(Enter switches)</Text>
      </Text>
      <Table
        padding={0}
        data={gateways.map((g, i) => ({
          ' ': i === cursor ? '›' : ' ',
          name: `${g.info.name === active ? '● ' : '  '}${safe(g.info.name)}`,
          mode: g.info.mode,
          health: health(g, now),
          endpoint: safe(g.info.endpoint),
          version: safe(g.info.version || '—'),
        }))}
      />
      {problem && (
        <Text color={theme.danger} wrap="truncate">
          {' '}
          {safe(problem)}
        </Text>
      )}
      <Text bold color={theme.accent}>
        Providers <Text color={theme.muted}>(:creds NAME shows one)</Text>
      </Text>
      {providers === undefined ? (
        <Text color={theme.muted}> loading…</Text>
      ) : 'error' in providers ? (
        <Text color={theme.danger} wrap="truncate">
          {' '}
          {safe(providers.error)}
        </Text>
      ) : 'none' in providers ? (
        <Text color={theme.muted}> none ({safe(providers.none)})</Text>
      ) : providers.length === 0 ? (
        <Text color={theme.muted}> none</Text>
      ) : (
        <Table
          padding={0}
          data={providers.map((p) => ({ name: safe(p.name), type: safe(p.type), credentials: safe(p.credentials.join(', ') || '—') }))}
        />
      )}
      <Text bold color={theme.accent}>
        Sandboxes <Text color={theme.muted}>(Enter opens)</Text>
      </Text>
      <Table
        padding={0}
        data={sandboxes.map((s, i) => ({
          ' ': i + gateways.length === cursor ? '›' : ' ',
          name: safe(s.name),
          phase: s.phase,
          'policy rev': s.policyRevision,
          pending: pendingBySandbox[s.name] ?? 0,
          age: age(s.createdAt, now),
        }))}
      />
    </Box>
  );
}

/** Memoised: re-renders only when its props change (not on every unrelated store flush). */
export const Dashboard = memo(DashboardView);
