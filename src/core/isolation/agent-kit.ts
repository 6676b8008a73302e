// The files an agent needs to honour the proxy and trust the core's CA, in one per-run directory the
// agent can read: the state dir (where the core's own bundle lives) is hidden from it, and under --user it
// could not traverse a root-owned 0700 directory anyway. Removed when `run` ends.
import { chmod, chown, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeProxyPreload } from './node-preload.js';

export interface AgentKit {
  dir: string;
  /** System roots + the core's CA (absent when the core wrote none). */
  caBundle?: string;
  nodePreload: string;
  wgetrc: string;
  aptConfig: string;
  /** A private TMPDIR, when the agent cannot create files in the usual one. */
  tmp?: string;
  /** A private HOME, when the agent's user has none it can write. */
  home?: string;
  remove(): Promise<void>;
}

export interface AgentKitOptions {
  /** The core's bundle (system roots + its CA), copied in. */
  caBundleSource?: string;
  /** http://host:port */
  proxyUrl: string;
  /** The agent's user, when it is not ours: it owns tmp/ and home/. */
  owner?: { uid: number; gid: number };
  /** Give the agent its own TMPDIR (the usual one leads to a hidden path, so it cannot create files there). */
  privateTmp?: boolean;
  /** Give the agent its own HOME. */
  privateHome?: boolean;
  /** The agent is root without capabilities: apt cannot switch to its _apt sandbox user. */
  rootWithoutCapabilities?: boolean;
}

export async function createAgentKit(options: AgentKitOptions): Promise<AgentKit> {
  const dir = await mkdtemp(join(tmpdir(), 'openshell-term-agent-'));
  try {
    await chmod(dir, 0o755);
    let caBundle: string | undefined;
    if (options.caBundleSource) {
      caBundle = join(dir, 'ca-bundle.pem');
      await copyFile(options.caBundleSource, caBundle);
      await chmod(caBundle, 0o644);
    }

    const require = createRequire(import.meta.url);
    const nodePreload = join(dir, 'node-proxy.cjs');
    await writeFile(
      nodePreload,
      nodeProxyPreload({
        undici: require.resolve('undici'),
        httpProxyAgent: require.resolve('http-proxy-agent'),
        httpsProxyAgent: require.resolve('https-proxy-agent'),
      }),
      { mode: 0o644 },
    );

    const wgetrc = join(dir, 'wgetrc');
    await writeFile(
      wgetrc,
      `# openshell-term run: wget through the proxy, trusting the core's CA\nuse_proxy = on\nhttp_proxy = ${options.proxyUrl}\nhttps_proxy = ${options.proxyUrl}\n${caBundle ? `ca_certificate = ${caBundle}\n` : ''}`,
      { mode: 0o644 },
    );

    const aptConfig = join(dir, 'apt.conf');
    const apt = [
      "// openshell-term run: apt through the proxy, trusting the core's CA",
      `Acquire::http::Proxy "${options.proxyUrl}";`,
      `Acquire::https::Proxy "${options.proxyUrl}";`,
      ...(caBundle ? [`Acquire::https::CaInfo "${caBundle}";`] : []),
      // Without CAP_SETUID apt cannot drop to _apt for its downloads; it would refuse to fetch at all.
      ...(options.rootWithoutCapabilities ? ['APT::Sandbox::User "root";'] : []),
    ];
    await writeFile(aptConfig, `${apt.join('\n')}\n`, { mode: 0o644 });

    const kit: AgentKit = {
      dir,
      caBundle,
      nodePreload,
      wgetrc,
      aptConfig,
      remove: () => rm(dir, { recursive: true, force: true }),
    };
    if (options.privateTmp) kit.tmp = await privateDir(join(dir, 'tmp'), options.owner);
    if (options.privateHome) kit.home = await privateDir(join(dir, 'home'), options.owner);
    return kit;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function privateDir(path: string, owner?: { uid: number; gid: number }): Promise<string> {
  await mkdir(path, { mode: 0o700 });
  if (owner) await chown(path, owner.uid, owner.gid);
  return path;
}
