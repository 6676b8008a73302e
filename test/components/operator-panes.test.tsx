// The operator views' presentational components, rendered by Ink with plain data: what each shows, and
// that gateway-supplied text is made safe before it reaches the terminal.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { DraftHistoryView } from '../../components/DraftHistoryView.js';
import { protocolBadge } from '../../components/format.js';
import { ProviderDetailPane } from '../../components/ProviderDetailPane.js';
import { SandboxMetadataPane } from '../../components/SandboxMetadataPane.js';
import { SettingsView } from '../../components/SettingsView.js';
import { resolveTheme } from '../../components/theme.js';
import { TitleBar } from '../../components/TitleBar.js';
import type { SandboxMetadata } from '../../src/gateway/operator-views.js';

const theme = resolveTheme('dark', {});
const frameOf = (node: React.ReactElement) => {
  const ink = render(node);
  const frame = ink.lastFrame() ?? '';
  ink.unmount();
  return frame;
};

const metadata: SandboxMetadata = {
  name: 'agent',
  workspace: 'team',
  phase: 'Error',
  image: 'registry.example/agent:0.1.0',
  providers: ['github', 'claude-code'],
  conditions: [{ type: 'Ready', status: 'False', reason: 'ConfigRejected', message: 'see admission', time: 0 }],
  admission: { state: 'rejected', error: 'unknown field "netwrk_policies"' },
  restartCount: 3,
  policyVersion: 7,
  policyStatus: 'failed',
  policyLoadError: 'L7 rule needs a protocol',
  policySource: 'global',
};

describe('title bar', () => {
  it('names the protocol (legacy as legacy) and the workspace', () => {
    expect(protocolBadge('0.1.11', 'openshell.v1')).toBe('0.1.11 · openshell.v1');
    expect(protocolBadge('0.1.12', 'ryno.v1')).toBe('0.1.12 · ryno.v1');
    expect(protocolBadge('0.0.30', 'openshell.v1 (0.0.x)')).toBe('0.0.30 · legacy 0.0.x');
    expect(protocolBadge('x', undefined)).toBeUndefined();
    const gateway = { name: 'prod', mode: 'remote' as const, endpoint: 'https://gw', version: '0.1.11' };
    const props = { gateway, connection: { status: 'connected' as const }, sandbox: 'agent', pending: 2, now: 0, theme };
    const one = frameOf(<TitleBar {...props} protocol="0.1.11 · openshell.v1" workspace="team" />);
    expect(one).toContain('prod (remote) 0.1.11 · openshell.v1 ● connected │ workspace team │ sandbox agent');
    expect(frameOf(<TitleBar {...props} workspace="*" />)).toContain('│ all workspaces │');
    expect(frameOf(<TitleBar {...props} />)).not.toContain('workspace');
  });
});

describe('sandbox metadata pane', () => {
  it('shows an admission rejection as Invalid config with its error, restarts, the failed policy load and its source', () => {
    const f = frameOf(<SandboxMetadataPane metadata={metadata} theme={theme} />);
    expect(f).toContain('Sandbox agent in workspace team');
    expect(f).toMatch(/phase\s+Error/);
    expect(f).toMatch(/image\s+registry\.example\/agent:0\.1\.0/);
    expect(f).toMatch(/providers\s+github, claude-code/);
    expect(f).toContain('Invalid config: unknown field "netwrk_policies"');
    expect(f).toMatch(/restarts\s+3/);
    expect(f).toContain('version 7 failed L7 rule needs a protocol (a gateway-global policy is in force)');
    expect(f).toMatch(/False\s+Ready ConfigRejected: see admission/);
  });

  it('gateway text cannot drive the terminal: escape sequences are neutralised', () => {
    const f = frameOf(<SandboxMetadataPane metadata={{ ...metadata, image: 'evil\u001b[2J\u001b]52;c;AAAA\u0007' }} theme={theme} />);
    expect(f).not.toContain('\u001b[2J');
    expect(f).not.toContain('\u001b]52');
  });

  it('says why when there is nothing to show', () => {
    expect(frameOf(<SandboxMetadataPane error="sandbox 'x' not found" theme={theme} />)).toContain(
      "sandbox metadata unavailable: sandbox 'x' not found",
    );
  });
});

describe('settings view', () => {
  it('lists scope, key, source, type and value; the cursor row is marked; unset says so', () => {
    const f = frameOf(
      <SettingsView
        sandbox="agent"
        rows={[
          { scope: 'sandbox', key: 'ocsf_json_enabled', value: 'false', kind: 'bool', source: 'global', type: 'bool' },
          { scope: 'sandbox', key: 'proposal_approval_mode', value: '', kind: 'unset', source: 'unset', type: 'string' },
          { scope: 'global', key: 'ocsf_json_enabled', value: 'false', kind: 'bool', source: 'global', type: 'bool' },
        ]}
        cursor={1}
        loading={false}
        height={20}
        width={120}
        theme={theme}
      />,
    );
    expect(f).toMatch(/ {2}sandbox\s+ocsf_json_enabled\s+global\s+bool\s+false/);
    expect(f).toMatch(/› sandbox\s+proposal_approval_mode\s+unset\s+string\s+\(unset\)/);
    expect(f).toMatch(/ {2}global\s+ocsf_json_enabled\s+global\s+bool\s+false/);
  });
});

describe('provider detail pane', () => {
  it('shows credential names with their expiry; an expired one says so', () => {
    const f = frameOf(
      <ProviderDetailPane
        name="github"
        detail={{
          name: 'github',
          workspace: 'team',
          type: 'github',
          credentialNames: ['GITHUB_TOKEN', 'OLD_TOKEN', 'FOREVER'],
          credentialExpiry: { GITHUB_TOKEN: Date.UTC(2027, 0, 1), OLD_TOKEN: Date.UTC(2025, 0, 1) },
          configKeys: ['GITHUB_API_URL'],
        }}
        now={Date.UTC(2026, 5, 1)}
        theme={theme}
      />,
    );
    expect(f).toContain('GITHUB_TOKEN expires 2027-01-01 00:00 UTC');
    expect(f).toContain('OLD_TOKEN expired 2025-01-01 00:00 UTC');
    expect(f).toContain('FOREVER does not expire');
    expect(f).toContain('config keys GITHUB_API_URL');
  });
});

describe('draft history view', () => {
  it('lists entries with time, type, chunk and description', () => {
    const f = frameOf(
      <DraftHistoryView
        sandbox="agent"
        entries={[
          { time: Date.UTC(2026, 11, 7, 10, 0, 0), type: 'proposed', description: "Rule 'allow_pypi' proposed", chunkId: 'c1' },
          { time: Date.UTC(2026, 11, 7, 10, 1, 0), type: 'approved', description: "Rule 'allow_pypi' approved", chunkId: 'c1' },
        ]}
        scroll={0}
        height={10}
        theme={theme}
      />,
    );
    expect(f).toContain('Draft history sandbox agent, 2 entries');
    expect(f).toContain("2026-12-07 10:00:00 proposed   c1 Rule 'allow_pypi' proposed");
    expect(f).toContain("2026-12-07 10:01:00 approved   c1 Rule 'allow_pypi' approved");
  });
});
