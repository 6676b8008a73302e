// The built-in presets shipped in presets/: every file loads through the project's policy loader, and the
// tiers name only presets that exist and describe them truthfully (a 'read' preset admits no writes).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/policy/decide.js';
import { compilePolicy, endpointPorts } from '../../src/core/policy/matcher.js';
import { loadPolicyFile } from '../../src/core/policy/source.js';
import type { PresetDocument } from '../../src/core/policy/types.js';
import { BUILTIN_PRESETS_DIR } from '../../src/core/presets/builtin-dir.js';
import { PresetError } from '../../src/core/presets/preset-error.js';
import { presetsForTier, TIERS } from '../../src/core/presets/tiers.js';
import { runCli } from '../helpers/cli.js';

/** Paths that some built-in's rules admit, so each endpoint is probed where it is open. */
const PATHS = [
  '/',
  '/simple/requests/',
  '/res/v1/web/search',
  '/models/gpt2',
  '/o/r.git/git-upload-pack',
  '/repos/o/r/pulls',
  '/api/v10/channels/1/messages',
  '/bot1:x/sendMessage',
  '/v1/chat/completions',
];

/**
 * The catalogue, pinned: every built-in and the host:port pairs it opens (the same hosts as NemoClaw's
 * preset of that name). A change to any preset's destinations must change this table too.
 */
const CATALOGUE: Record<string, string[]> = {
  apt: ['archive.ubuntu.com:443', 'security.ubuntu.com:443', 'deb.debian.org:443'],
  brave: ['api.search.brave.com:443'],
  brew: [
    'formulae.brew.sh:443',
    'ghcr.io:443',
    'pkg-containers.githubusercontent.com:443',
    'github.com:443',
    'objects.githubusercontent.com:443',
    'raw.githubusercontent.com:443',
  ],
  cargo: ['crates.io:443', 'static.crates.io:443', 'index.crates.io:443'],
  'claude-code': ['api.anthropic.com:443', 'statsig.anthropic.com:443', 'sentry.io:443'],
  discord: ['discord.com:443', 'gateway.discord.gg:443', 'cdn.discordapp.com:443', 'media.discordapp.net:443'],
  docker: ['registry-1.docker.io:443', 'auth.docker.io:443', 'production.cloudflare.docker.com:443', 'nvcr.io:443', 'authn.nvidia.com:443'],
  duckduckgo: ['duckduckgo.com:443', 'lite.duckduckgo.com:443'],
  firecrawl: ['api.firecrawl.dev:443'],
  gemini: ['generativelanguage.googleapis.com:443'],
  ghcr: ['ghcr.io:443'],
  github: ['github.com:443', 'api.github.com:443', 'raw.githubusercontent.com:443'],
  gmail: ['gmail.googleapis.com:443', 'oauth2.googleapis.com:443', 'accounts.google.com:443'],
  go: ['proxy.golang.org:443', 'sum.golang.org:443', 'storage.googleapis.com:443'],
  huggingface: ['huggingface.co:443', 'cdn-lfs.huggingface.co:443', 'api-inference.huggingface.co:443'],
  jira: ['*.atlassian.net:443', 'auth.atlassian.com:443', 'api.atlassian.com:443'],
  'local-inference': ['host.openshell.internal:11434', 'host.openshell.internal:8000'],
  'microsoft-teams': ['graph.microsoft.com:443', 'login.microsoftonline.com:443', 'smba.trafficmanager.net:443', '*.botframework.com:443'],
  npm: ['registry.npmjs.org:443', 'registry.yarnpkg.com:443'],
  ollama: ['host.openshell.internal:11434', 'localhost:11434', '127.0.0.1:11434'],
  outlook: ['graph.microsoft.com:443', 'login.microsoftonline.com:443', 'outlook.office365.com:443', 'outlook.office.com:443'],
  pypi: ['pypi.org:443', 'files.pythonhosted.org:443'],
  signal: [
    'textsecure-service.whispersystems.org:443',
    'storage.signal.org:443',
    'cdn.signal.org:443',
    'cdn2.signal.org:443',
    'directory.signal.org:443',
  ],
  slack: ['slack.com:443', 'api.slack.com:443', 'hooks.slack.com:443', 'wss-primary.slack.com:443', 'wss-backup.slack.com:443'],
  tavily: ['api.tavily.com:443'],
  telegram: ['api.telegram.org:443'],
  weather: ['wttr.in:443', 'wttr.is:443', 'api.open-meteo.com:443', 'geocoding-api.open-meteo.com:443', 'api.weather.gov:443'],
  wechat: ['ilinkai.weixin.qq.com:443', 'ilinkai.wechat.com:443'],
  whatsapp: ['web.whatsapp.com:443', '*.web.whatsapp.com:443', 'whatsapp.net:443', '*.whatsapp.net:443'],
};
const EXPECTED = Object.keys(CATALOGUE).sort();

async function builtins(): Promise<Map<string, PresetDocument>> {
  const docs = new Map<string, PresetDocument>();
  for (const name of (await readdir(BUILTIN_PRESETS_DIR)).sort()) {
    const loaded = await loadPolicyFile(join(BUILTIN_PRESETS_DIR, name), 'preset');
    expect(loaded.errors, name).toEqual([]);
    if (loaded.document?.kind === 'preset') docs.set(loaded.document.preset.preset.name, loaded.document.preset);
  }
  return docs;
}

describe('built-in presets', () => {
  it('are exactly the expected set, each valid, named after its file', async () => {
    const files = (await readdir(BUILTIN_PRESETS_DIR)).sort();
    expect(files).toEqual(EXPECTED.map((n) => `${n}.yaml`));
    const docs = await builtins();
    expect([...docs.keys()].sort()).toEqual(EXPECTED);
    for (const [name, doc] of docs) {
      expect(doc.preset.description, name).toBeTruthy();
      for (const [key, rule] of Object.entries(doc.network_policies)) {
        expect(rule.binaries.length, `${name}.${key}`).toBeGreaterThan(0);
        expect(rule.endpoints.length, `${name}.${key}`).toBeGreaterThan(0);
      }
    }
  });

  it('open exactly the catalogued host:port pairs', async () => {
    const docs = await builtins();
    for (const [name, hosts] of Object.entries(CATALOGUE)) {
      const opened = Object.values(docs.get(name)!.network_policies).flatMap((rule) =>
        rule.endpoints.flatMap((ep) => endpointPorts(ep).map((port) => `${ep.host}:${port}`)),
      );
      expect(opened, name).toEqual(hosts);
    }
  });

  it('each pass `policy check` (the real command, every file at once)', async () => {
    const files = EXPECTED.map((name) => join(BUILTIN_PRESETS_DIR, `${name}.yaml`));
    const r = await runCli(['policy', 'check', ...files]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/: ok — preset '/g)).toHaveLength(EXPECTED.length);
  }, 30_000);

  it('warn only about the host-bridge presets pinning the RFC 1918 ranges to host.openshell.internal', async () => {
    for (const name of EXPECTED) {
      const loaded = await loadPolicyFile(join(BUILTIN_PRESETS_DIR, `${name}.yaml`), 'preset');
      for (const warning of loaded.warnings) {
        expect(['local-inference', 'ollama']).toContain(name);
        expect(warning.message).toMatch(/very broad CIDR/);
      }
    }
  });

  it('use allowed_ips only for host.openshell.internal, and no two own the same network_policies key', async () => {
    const owners = new Map<string, string>();
    for (const [name, doc] of await builtins()) {
      for (const [key, rule] of Object.entries(doc.network_policies)) {
        expect(owners.get(key), `key ${key}`).toBeUndefined();
        owners.set(key, name);
        for (const ep of rule.endpoints) if (ep.allowed_ips) expect(ep.host).toBe('host.openshell.internal');
      }
    }
  });
});

describe('tiers', () => {
  it('resolve: restricted is empty, open contains balanced, every name is a built-in', async () => {
    const docs = await builtins();
    expect(presetsForTier('restricted')).toEqual([]);
    expect(presetsForTier('balanced')).toEqual(['npm', 'pypi', 'huggingface', 'brew', 'brave']);
    const open = presetsForTier('open');
    expect(open.slice(0, 5)).toEqual(presetsForTier('balanced'));
    // NemoClaw's open tier adds these messaging and productivity presets to balanced.
    expect(open.slice(5)).toEqual(['slack', 'discord', 'telegram', 'wechat', 'whatsapp', 'jira', 'outlook']);
    for (const tier of TIERS) for (const p of tier.presets) expect(docs.has(p.name), `${tier.name}: ${p.name}`).toBe(true);
  });

  it('refuse an unknown tier with a hint', () => {
    expect(() => presetsForTier('balance')).toThrow(PresetError);
    expect(() => presetsForTier('balance')).toThrow(/did you mean 'balanced'/);
  });

  it("mark a preset 'read' only when it admits GET and refuses every write method", async () => {
    const docs = await builtins();
    for (const tier of TIERS) {
      for (const { name, access } of tier.presets) {
        const doc = docs.get(name)!;
        const compiled = compilePolicy({ version: 1, network_policies: doc.network_policies });
        let writable = false;
        for (const rule of Object.values(doc.network_policies)) {
          const binary = rule.binaries.find((b) => !b.path.includes('*'))!.path;
          for (const ep of rule.endpoints) {
            const host = ep.host!.replace('*', 'site');
            for (const port of endpointPorts(ep)) {
              const outcomes = (method: string) => PATHS.map((path) => decide(compiled, { host, port, binary, method, path }));
              if (access === 'read')
                expect(
                  outcomes('GET').some((d) => d.outcome === 'allow'),
                  `${name} ${host} GET`,
                ).toBe(true);
              for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
                for (const d of outcomes(method)) {
                  if (d.outcome === 'allow') writable = true;
                  // Enforced, never audit: a denied write is refused, not logged and let through.
                  expect(d.audit, `${name} ${host} ${method}`).toBe(false);
                }
              }
            }
          }
        }
        expect(writable, `${tier.name}: ${name} is marked ${access}`).toBe(access === 'read-write');
      }
    }
  });
});
