// The environment an agent gets under `run`.
//
// What it loses is a deny-list, not an allow-list: an agent needs its own credentials (ANTHROPIC_API_KEY,
// GITHUB_TOKEN …), PATH, HOME, LANG, TERM, and an allow-list would break every agent it does not know.
// What the operator holds is ours to name: every `OPENSHELL_*` variable (OPENSHELL_TOKEN and the other
// gateway settings, OPENSHELL_TERM_*), any case, and any variable whose value carries a secret the core
// holds (the control token copied under another name).
//
// What it gains points every common runtime at the proxy and at a CA bundle that holds the core's CA
// (TLS inspection), in the way each runtime reads: the proxy variables (both cases), the CA variables,
// npm's own config (a system npmrc `cafile` otherwise wins), git's (over any http.proxy in gitconfig),
// pip's, wget's and apt's config files, and a preload that sends Node's fetch and http(s) through the
// proxy (Node 20 ignores the proxy variables).
import { caBundleEnv } from '../tls/ca-bundle.js';
import type { AgentKit } from './agent-kit.js';

/** Names the operator's own settings and credentials use. */
const OPERATOR_VARIABLE = /^OPENSHELL_/i;

/** Secrets shorter than this are not searched for in values (a short string matches too much). */
const MIN_SECRET_LENGTH = 16;

export interface Scrubbed {
  env: NodeJS.ProcessEnv;
  /** Names removed, for the start-up notice (never their values). */
  dropped: string[];
}

/** The operator's environment without anything the agent must not hold. */
export function scrubEnvironment(base: NodeJS.ProcessEnv, secrets: readonly string[]): Scrubbed {
  const searched = secrets.filter((s) => s.length >= MIN_SECRET_LENGTH);
  const env: NodeJS.ProcessEnv = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if (OPERATOR_VARIABLE.test(name) || searched.some((secret) => value.includes(secret))) dropped.push(name);
    else env[name] = value;
  }
  return { env, dropped: dropped.sort() };
}

/** Every proxy variable, both cases, and no exceptions. */
export function proxyVariables(proxy: string): Record<string, string> {
  const url = `http://${proxy}`;
  const vars: Record<string, string> = { NO_PROXY: '', no_proxy: '' };
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY']) {
    vars[name] = url;
    vars[name.toLowerCase()] = url;
  }
  return vars;
}

export interface AgentEnvironmentOptions {
  base: NodeJS.ProcessEnv;
  /** host:port of the proxy as the agent reaches it. */
  proxy: string;
  /** Secrets the core holds (the control token): dropped wherever they appear. */
  secrets: readonly string[];
  kit?: AgentKit;
  /** The agent runs as another user: its HOME, USER and LOGNAME. */
  user?: { name: string; home: string };
}

export function agentEnvironment(options: AgentEnvironmentOptions): Scrubbed {
  const { env, dropped } = scrubEnvironment(options.base, options.secrets);
  const url = `http://${options.proxy}`;
  Object.assign(env, proxyVariables(options.proxy));
  // npm reads its own config before the proxy variables, and a system npmrc may name another cafile.
  Object.assign(env, { npm_config_proxy: url, npm_config_https_proxy: url, npm_config_noproxy: '', PIP_PROXY: url, CARGO_HTTP_PROXY: url });
  delete env.npm_config_ca; // an inline CA would win over cafile
  // cargo's libcurl asks plain-HTTP registries for an h2c upgrade, which the proxy refuses (501, upgrades
  // go through CONNECT); without multiplexing it speaks plain HTTP/1.1 and gets the proxy's own answers.
  env.CARGO_HTTP_MULTIPLEXING = 'false';
  const kit = options.kit;
  if (kit) {
    if (kit.caBundle) Object.assign(env, caBundleEnv(kit.caBundle));
    // git: environment config wins over every gitconfig file (git ≥ 2.31), so an http.proxy there cannot bypass us.
    addGitConfig(env, { 'http.proxy': url, ...(kit.caBundle ? { 'http.sslCAInfo': kit.caBundle } : {}) });
    env.WGETRC = kit.wgetrc;
    env.APT_CONFIG = kit.aptConfig;
    env.NODE_OPTIONS = [env.NODE_OPTIONS, `--require ${nodeOptionQuote(kit.nodePreload)}`].filter(Boolean).join(' ');
    if (kit.tmp) env.TMPDIR = kit.tmp;
  }
  // Node ≥ 24 routes fetch and http(s) through the proxy variables itself with this set.
  env.NODE_USE_ENV_PROXY = '1';
  if (options.user) {
    env.HOME = options.user.home;
    env.USER = options.user.name;
    env.LOGNAME = options.user.name;
  }
  return { env, dropped };
}

function addGitConfig(env: NodeJS.ProcessEnv, entries: Record<string, string>) {
  let count = Number(env.GIT_CONFIG_COUNT);
  if (!Number.isInteger(count) || count < 0) count = 0;
  for (const [key, value] of Object.entries(entries)) {
    env[`GIT_CONFIG_KEY_${count}`] = key;
    env[`GIT_CONFIG_VALUE_${count}`] = value;
    count++;
  }
  env.GIT_CONFIG_COUNT = String(count);
}

/** NODE_OPTIONS splits on spaces; a double-quoted value keeps them. */
function nodeOptionQuote(path: string): string {
  return /[\s"\\]/.test(path) ? `"${path.replace(/(["\\])/g, '\\$1')}"` : path;
}

/**
 * Clients `run` cannot make comply, named at start: either they ignore the proxy variables or they do not
 * take a CA file. Under Landlock's TCP rules (or --isolate) they fail closed instead of going around.
 */
export const NON_COMPLIANT = [
  'Node http(s) requests with their own Agent, and raw net/tls sockets',
  'Python aiohttp (ignores the proxy variables unless trust_env=True)',
  'Java (ignores the proxy variables; its trust store takes no PEM file)',
  'binaries with built-in rustls/webpki roots (ignore SSL_CERT_FILE)',
  'anything not HTTP: ssh, database clients, DNS, QUIC/HTTP3',
];
