// bench/proxy: allowed and denied plain-HTTP requests/s and p99 through our proxy, a minimal Node proxy
// (baseline, same run) and squid with an equivalent allowlist; proxy RSS. Loopback only, bounded (5 s runs).
// Needs wrk and squid (Debian packages); installs them when missing and apt is available.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTable } from '../table.js';
import { connectSetups, tunnelThroughput } from './connect-load.js';
import { httpsRequests } from './https-load.js';
import { mcpRequest, mcpWrkScript } from './mcp-request.js';

const ROOT = join(import.meta.dirname, '..', '..');
const HOST = 'bench.test';
const INSPECTED = 'inspect.test';
/** An MCP endpoint: every request decided on its body (JSON-RPC method and tool name). */
const MCP = 'mcp.test';
/**
 * Another checkout's core to run beside ours in the same run (e.g. BENCH_BASELINE_CORE=/work/main), so a
 * change's cost on the allowed plain-HTTP path is measured against the code before it, on the same load.
 */
const BASELINE_CORE = process.env.BENCH_BASELINE_CORE;
// Each tunnel downloads this much from the source.
const TUNNEL_MIB = 128;

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ensureTools(): string[] {
  const missing = ['wrk', 'squid'].filter((t) => !have(t) && !(t === 'squid' && have('/usr/sbin/squid')));
  if (missing.length > 0 && have('apt-get')) {
    try {
      execFileSync('sh', [
        '-c',
        `apt-get install -y -qq ${missing.join(' ')} >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq ${missing.join(' ')}) >/dev/null 2>&1`,
      ]);
    } catch {
      // reported below
    }
  }
  return ['wrk', 'squid'].filter((t) => !have(t) && !(t === 'squid' && have('/usr/sbin/squid')));
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number) {
  const { connect } = await import('node:net');
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

function tsx(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'ignore', cwd: ROOT });
}

/** CPU time (user + system, every thread) the process has used so far, in µs. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1_000_000 / 100); // clock ticks at USER_HZ = 100
}

/** Runs `load` and returns its result with the proxy's CPU µs spent per `units(result)`. */
async function withCpu<T>(pid: number, load: () => T | Promise<T>, units: (result: T) => number): Promise<[T, number]> {
  const before = cpuMicros(pid);
  const result = await load();
  return [result, (cpuMicros(pid) - before) / Math.max(1, units(result))];
}

function rssPeakMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
}

interface WrkResult {
  rps: number;
  p99ms: number;
}

function wrk(proxyPort: number, url: string, seconds = 5, connections = 32, lua?: string): WrkResult & { requests: number } {
  const dir = mkdtempSync(join(tmpdir(), 'ost-wrk-'));
  const script = join(dir, 'abs.lua');
  // Absolute-form request line, as a client configured with a forward proxy sends it.
  writeFileSync(script, lua ?? `wrk.path = "${url}"\nwrk.headers["Host"] = "${new URL(url).host}"\n`);
  const out = execFileSync(
    'wrk',
    ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, `http://127.0.0.1:${proxyPort}`],
    { encoding: 'utf8' },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]);
  const requests = Number(/(\d+) requests in/.exec(out)![1]);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out)!;
  const p99ms = Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1);
  return { rps, p99ms, requests };
}

export async function benchProxy(): Promise<string> {
  const missing = ensureTools();
  if (missing.includes('wrk')) return `skipped: wrk is not installed and could not be installed (${missing.join(', ')})\n`;
  const dir = mkdtempSync(join(tmpdir(), 'ost-bench-proxy-'));
  const children: ChildProcess[] = [];
  try {
    const upPort = await freePort();
    children.push(tsx('bench/proxy/upstream.ts', [String(upPort), '1024']));
    const bigPort = await freePort();
    children.push(tsx('bench/proxy/upstream.ts', [String(bigPort), String(1024 * 1024)]));
    const sourcePort = await freePort();
    children.push(tsx('bench/proxy/tunnel-source.ts', [String(sourcePort), String(TUNNEL_MIB)]));
    const httpsPort = await freePort();
    const upstreamCaDir = join(dir, 'upstream-ca');
    children.push(tsx('bench/proxy/https-upstream.ts', [String(httpsPort), '1024', upstreamCaDir]));
    await waitForPort(upPort);
    await waitForPort(bigPort);
    await waitForPort(sourcePort);
    await waitForPort(httpsPort);

    const policy = join(dir, 'policy.yaml');
    // bench.test is a plain endpoint (tunnels pass untouched); inspect.test has L7 rules, so the core
    // terminates TLS there and decides every request on method and path.
    writeFileSync(
      policy,
      `${[
        'version: 1',
        'network_policies:',
        '  bench:',
        '    name: bench',
        '    endpoints:',
        `      - { host: ${HOST}, ports: [${upPort}, ${bigPort}, ${sourcePort}, ${httpsPort}] }`,
        '    binaries:',
        '      - { path: "**" }',
        '  inspected:',
        '    name: inspected',
        '    endpoints:',
        `      - { host: ${INSPECTED}, port: ${httpsPort}, protocol: rest, enforcement: enforce, access: read-only }`,
        '    binaries:',
        '      - { path: "**" }',
        '  mcp:',
        '    name: mcp',
        '    endpoints:',
        `      - host: ${MCP}`,
        `        ports: [${upPort}, ${httpsPort}]`,
        '        path: /mcp',
        '        protocol: mcp',
        '        enforcement: enforce',
        '        rules:',
        '          - allow: { method: tools/call, tool: "read_*" }',
        '        deny_rules:',
        '          - { method: tools/call, tool: delete_repo }',
        '    binaries:',
        '      - { path: "**" }',
      ].join('\n')}\n`,
    );

    const proxies: Array<{ name: string; port: number; pid: number }> = [];
    const startCore = async (checkout: string, state: string) => {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [
          join(checkout, 'bin/openshell-term.js'),
          'core',
          '--state-dir',
          join(dir, state),
          '--policy',
          policy,
          '--proxy-listen',
          `127.0.0.1:${port}`,
          '--resolve',
          `${HOST}:127.0.0.1`,
          '--resolve',
          `${INSPECTED}:127.0.0.1`,
          '--resolve',
          `${MCP}:127.0.0.1`,
          '--allow-loopback',
          '--hold-timeout',
          '0',
        ],
        // The core re-encrypts inspected requests to the upstream, so it must trust the upstream's CA.
        { stdio: 'ignore', env: { ...process.env, NODE_EXTRA_CA_CERTS: join(upstreamCaDir, 'ca.crt') } },
      );
      children.push(child);
      return { port, pid: child.pid! };
    };
    proxies.push({ name: 'openshell-term', ...(await startCore(ROOT, 'state')) });

    const basePort = await freePort();
    const base = tsx('bench/proxy/baseline-proxy.ts', [String(basePort), `${HOST}:127.0.0.1`, HOST]);
    children.push(base);
    proxies.push({ name: 'node baseline', port: basePort, pid: base.pid! });

    if (!missing.includes('squid')) {
      const squidPort = await freePort();
      const conf = join(dir, 'squid.conf');
      // squid drops privileges to its own user: it must be able to read its config and hosts file.
      chmodSync(dir, 0o755);
      // squid logs every request by default, as our core audits every decision: keep its access log on
      // (in its own directory, writable by the user squid drops to).
      const squidLogs = join(dir, 'squid-logs');
      mkdirSync(squidLogs, { mode: 0o777 });
      chmodSync(squidLogs, 0o777);
      writeFileSync(join(dir, 'hosts'), `127.0.0.1 ${HOST}\n`, { mode: 0o644 });
      writeFileSync(
        conf,
        `${[
          `http_port 127.0.0.1:${squidPort}`,
          `hosts_file ${join(dir, 'hosts')}`,
          `acl allowed dstdomain ${HOST}`,
          'http_access allow allowed',
          'http_access deny all',
          'cache deny all',
          `access_log stdio:${join(squidLogs, 'access.log')}`,
          'cache_log /dev/null',
          `pid_filename ${join(dir, 'squid.pid')}`,
          'shutdown_lifetime 0 seconds',
          `coredump_dir ${dir}`,
        ].join('\n')}\n`,
        { mode: 0o644 },
      );
      const squid = spawn(have('squid') ? 'squid' : '/usr/sbin/squid', ['-N', '-f', conf], { stdio: 'ignore' });
      children.push(squid);
      proxies.push({ name: 'squid', port: squidPort, pid: squid.pid! });
    }
    if (BASELINE_CORE) proxies.push({ name: 'baseline core', ...(await startCore(BASELINE_CORE, 'baseline-state')) });
    for (const p of proxies) await waitForPort(p.port);

    // Scenario by scenario, each proxy in turn, so drift in the machine's load spreads over all three;
    // tunnel throughput (the noisiest) is the median of three rounds.
    const results = new Map(proxies.map((p) => [p.name, {} as Record<string, number>]));
    const each = async (run: (p: (typeof proxies)[number], into: Record<string, number>) => unknown) => {
      for (const p of proxies) await run(p, results.get(p.name)!);
    };
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    await each((p) => wrk(p.port, `http://${HOST}:${upPort}/`, 1)); // warm-up
    await each(async (p, r) => {
      const [allowed, cpu] = await withCpu(
        p.pid,
        () => wrk(p.port, `http://${HOST}:${upPort}/`),
        (w) => w.requests,
      );
      Object.assign(r, { allowed: allowed.rps, allowedP99: allowed.p99ms, allowedCpu: cpu });
    });
    await each((p, r) => (r.big = wrk(p.port, `http://${HOST}:${bigPort}/`, 4, 8).rps));
    await each(async (p, r) => {
      const [denied, cpu] = await withCpu(
        p.pid,
        () => wrk(p.port, `http://denied.test:${upPort}/`),
        (w) => w.requests,
      );
      Object.assign(r, { denied: denied.rps, deniedP99: denied.p99ms, deniedCpu: cpu });
    });
    await each(async (p, r) => {
      const [setups, cpu] = await withCpu(
        p.pid,
        () => connectSetups(p.port, `${HOST}:${upPort}`),
        (c) => c.perSecond * 4,
      );
      Object.assign(r, { connect: setups.perSecond, connectP99: setups.p99ms, connectCpu: cpu });
    });
    await each(async (p, r) => (r.deniedConnect = (await connectSetups(p.port, `denied.test:${upPort}`, 2)).failures / 2));
    const upstreamCa = readFileSync(join(upstreamCaDir, 'ca.crt'), 'utf8');
    await each(async (p, r) => {
      const [https, cpu] = await withCpu(
        p.pid,
        () => httpsRequests(p.port, HOST, httpsPort, upstreamCa),
        (h) => h.requests,
      );
      Object.assign(r, { httpsPlain: https.perSecond, httpsPlainP99: https.p99ms, httpsPlainCpu: cpu });
    });
    {
      const ours = proxies[0];
      const [inspected, cpu] = await withCpu(
        ours.pid,
        () => httpsRequests(ours.port, INSPECTED, httpsPort, readFileSync(join(dir, 'state', 'ca.crt'), 'utf8')),
        (h) => h.requests,
      );
      Object.assign(results.get(ours.name)!, {
        httpsInspected: inspected.perSecond,
        httpsInspectedP99: inspected.p99ms,
        httpsInspectedCpu: cpu,
      });
    }
    {
      // MCP: every request read whole and decided on its JSON-RPC method and tool name (ours only: the
      // others have no L7), over plain HTTP and inside a TLS-inspected tunnel.
      const ours = proxies[0];
      const url = `http://${MCP}:${upPort}/mcp`;
      const [plainMcp, plainCpu] = await withCpu(
        ours.pid,
        () => wrk(ours.port, url, 5, 32, mcpWrkScript(url)),
        (w) => w.requests,
      );
      const [tlsMcp, tlsCpu] = await withCpu(
        ours.pid,
        () =>
          httpsRequests(
            ours.port,
            MCP,
            httpsPort,
            readFileSync(join(dir, 'state', 'ca.crt'), 'utf8'),
            4,
            8,
            mcpRequest(`${MCP}:${httpsPort}`),
          ),
        (h) => h.requests,
      );
      Object.assign(results.get(ours.name)!, {
        mcpPlain: plainMcp.rps,
        mcpPlainP99: plainMcp.p99ms,
        mcpPlainCpu: plainCpu,
        mcpInspected: tlsMcp.perSecond,
        mcpInspectedP99: tlsMcp.p99ms,
        mcpInspectedCpu: tlsCpu,
      });
    }
    const rounds = new Map(proxies.map((p) => [p.name, { one: [] as number[], eight: [] as number[], cpu: [] as number[] }]));
    for (let round = 0; round < 3; round++) {
      await each(async (p) => {
        const samples = rounds.get(p.name)!;
        samples.one.push(await tunnelThroughput(p.port, `${HOST}:${sourcePort}`, 1));
        const [eight, cpu] = await withCpu(
          p.pid,
          () => tunnelThroughput(p.port, `${HOST}:${sourcePort}`, 8),
          () => 8 * TUNNEL_MIB,
        );
        samples.eight.push(eight);
        samples.cpu.push(cpu);
      });
    }
    await each((p, r) => {
      const samples = rounds.get(p.name)!;
      Object.assign(r, { one: median(samples.one), eight: median(samples.eight), tunnelCpu: median(samples.cpu), rss: rssPeakMiB(p.pid) });
    });
    const names = [...results.keys()];
    const ratio = (key: string, against: Record<string, number> | undefined) => {
      const ours = results.get('openshell-term')![key];
      return ours === undefined || against?.[key] === undefined ? '—' : `${(ours / against[key]).toFixed(2)}×`;
    };
    const metric = (label: string, key: string, unit: (v: number) => string) => {
      const row = [label, ...names.map((n) => (results.get(n)![key] === undefined ? '—' : unit(results.get(n)![key])))];
      row.push(ratio(key, results.get('node baseline')));
      if (results.has('squid')) row.push(ratio(key, results.get('squid')));
      return row;
    };
    const n = (v: number) => Math.round(v).toLocaleString('en-US');
    const ms = (v: number) => `${v.toFixed(2)} ms`;
    const us = (v: number) => `${Math.round(v).toLocaleString('en-US')} µs`;
    const rows = [
      metric('allowed HTTP req/s (1 KiB, keep-alive, 32 conns)', 'allowed', n),
      metric('  p99', 'allowedP99', ms),
      metric('  proxy CPU per request', 'allowedCpu', us),
      metric('allowed HTTP req/s (1 MiB bodies, 8 conns)', 'big', n),
      metric('denied HTTP req/s', 'denied', n),
      metric('  p99', 'deniedP99', ms),
      metric('  proxy CPU per request', 'deniedCpu', us),
      metric('CONNECT tunnel setups/s (16 workers)', 'connect', n),
      metric('  p99 setup', 'connectP99', ms),
      metric('  proxy CPU per setup', 'connectCpu', us),
      metric('denied CONNECT/s', 'deniedConnect', n),
      metric('tunnel throughput MiB/s, 1 tunnel (median of 3)', 'one', n),
      metric('tunnel throughput MiB/s, 8 tunnels (median of 3)', 'eight', n),
      metric('  proxy CPU per MiB (8 tunnels)', 'tunnelCpu', us),
      metric('HTTPS req/s, plain tunnel (1 KiB, 8 keep-alive conns)', 'httpsPlain', n),
      metric('  p99', 'httpsPlainP99', ms),
      metric('  proxy CPU per request', 'httpsPlainCpu', us),
      metric('HTTPS req/s, TLS inspected, decided per request', 'httpsInspected', n),
      metric('  p99', 'httpsInspectedP99', ms),
      metric('  proxy CPU per request', 'httpsInspectedCpu', us),
      metric('MCP tools/call req/s, plain HTTP, decided on the body (32 conns)', 'mcpPlain', n),
      metric('  p99', 'mcpPlainP99', ms),
      metric('  proxy CPU per request', 'mcpPlainCpu', us),
      metric('MCP tools/call req/s, TLS inspected, decided on the body (8 conns)', 'mcpInspected', n),
      metric('  p99', 'mcpInspectedP99', ms),
      metric('  proxy CPU per request', 'mcpInspectedCpu', us),
      metric('RSS peak MiB', 'rss', n),
    ];
    let out = 'Each proxy in its own process; load from wrk and a Node CONNECT client; all on loopback, bounded runs\n';
    out += formatTable(['metric', ...names, 'ours vs node', ...(results.has('squid') ? ['ours vs squid'] : [])], rows);
    if (missing.includes('squid')) out += 'squid: not installed, column omitted\n';
    out += 'squid keeps its access log on (its default), as openshell-term keeps its audit log; the node baseline logs nothing.\n';
    out +=
      'openshell-term runs with policy, binary identity (one lookup per client connection) and the audit log on; plain tunnels go through its splice relay when built. CPU is user + system time of the proxy process (all threads) over the scenario; lower is better, so for CPU and p99 rows a ratio below 1× favours us.\n';
    const oursResult = results.get('openshell-term')!;
    out += `MCP decided on the body serves ${(oursResult.mcpPlain / oursResult.allowed).toFixed(2)}× the requests/s of allowed plain HTTP over plain HTTP (${(oursResult.mcpPlainCpu / oursResult.allowedCpu).toFixed(1)}× the CPU per request), and ${(oursResult.mcpInspected / oursResult.httpsInspected).toFixed(2)}× inspected HTTPS GETs inside TLS (${(oursResult.mcpInspectedCpu / oursResult.httpsInspectedCpu).toFixed(1)}× the CPU), in this run.\n`;
    const before = results.get('baseline core');
    if (before) {
      out += `Same run, the core of ${BASELINE_CORE}: allowed plain HTTP ${n(before.allowed)} req/s (${us(before.allowedCpu)} CPU/request) vs ours ${n(oursResult.allowed)} (${us(oursResult.allowedCpu)}): ours is ${((oursResult.allowed / before.allowed - 1) * 100).toFixed(1)}% in req/s.\n`;
    }
    out += `TLS inspection (only ours does it: terminate, decide each request, re-encrypt upstream) serves ${(oursResult.httpsInspected / oursResult.httpsPlain).toFixed(2)}× the HTTPS requests/s of its own plain tunnel in this run, at ${(oursResult.httpsInspectedCpu / oursResult.httpsPlainCpu).toFixed(1)}× its proxy CPU per request.\n`;
    return out;
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
}
