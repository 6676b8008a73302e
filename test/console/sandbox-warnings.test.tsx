// The sandbox screen says what the operator must know about the policy in force (the gateway's
// warnings) above the policy itself; a long list is cut with a pointer to the rest.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { SandboxView } from '../../components/SandboxView.js';
import { resolveTheme } from '../../components/theme.js';
import type { PolicyView } from '../../src/gateway/gateway.js';

const revision = { number: 3, sha256: 'a'.repeat(64), time: 0, cause: 'preset', detail: 'add x' };
const policy = (warnings?: string[]): PolicyView => ({ revision, yaml: 'version: 1\nnetwork_policies: {}\n', origins: {}, warnings });

function frame(p: PolicyView): string {
  const { lastFrame, unmount } = render(
    <SandboxView policy={p} revisions={[revision]} height={20} scroll={0} theme={resolveTheme('dark', {})} />,
  );
  const out = lastFrame() ?? '';
  unmount();
  return out;
}

describe('policy warnings on the sandbox screen', () => {
  it('shows each warning above the policy', () => {
    const out = frame(policy(['network_policies.x.endpoints[0] (api.test:443): protocol rest without enforcement runs in audit mode']));
    const lines = out.split('\n');
    expect(lines[1]).toContain('! network_policies.x.endpoints[0]');
    expect(lines[2]).toContain('version: 1');
  });

  it('cuts a long list at three, saying how many more and where they are', () => {
    const out = frame(policy(['w1', 'w2', 'w3', 'w4', 'w5']));
    expect(out).toContain('! w3');
    expect(out).not.toContain('! w4');
    expect(out).toContain('and 2 more');
  });

  it('says nothing when there is nothing to say', () => {
    expect(frame(policy())).not.toContain('!');
  });
});
