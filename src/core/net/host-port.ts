// "HOST:PORT" parsing for listen addresses, --resolve entries and CONNECT targets (IPv6 in brackets).

export interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(text: string, defaultPort?: number): HostPort | undefined {
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(text) ?? /^([^:\s/[\]]+)(?::(\d+))?$/.exec(text);
  if (!m) return undefined;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host: m[1], port };
}

/** Loopback only unless the operator names another address. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
