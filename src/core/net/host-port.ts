// "HOST:PORT" parsing for listen addresses, --resolve entries and CONNECT targets (IPv6 in brackets).
import { classifyIp } from '../policy/ip.js';

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

/**
 * True for localhost, 127.0.0.0/8 and ::1 (IPv4-mapped loopback included, brackets and case ignored).
 * Only address literals count: a name such as 127.example.com may resolve anywhere.
 */
export function isLoopbackHost(host: string): boolean {
  const h = stripBrackets(host).toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || classifyIp(h) === 'loopback';
}

export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** An address as it goes before ":port" (IPv6 literals in brackets). */
export function bracketHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
