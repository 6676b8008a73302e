// Endpoint host patterns: which wildcards a policy may declare, and how they match a request host.
// Rules follow upstream's validate_host_wildcard: "*" and "**" alone are refused (they match everything),
// "**" only as the whole first label, a wildcard in a later label must be the whole label, and the
// pattern needs at least three labels (no TLD wildcards like "*.com").
import { compileGlob, type GlobMatcher } from './glob.js';
import { normalizeIp } from './ip.js';

export function isWildcardHost(host: string): boolean {
  return host.includes('*');
}

/** Returns a human error for a host pattern upstream refuses, or undefined when it is acceptable. */
export function hostPatternError(host: string): string | undefined {
  if (!host.includes('*')) return undefined;
  if (host === '*' || host === '**') {
    return `host wildcard '${host}' matches all hosts; use specific patterns like '*.example.com'`;
  }
  const labels = host.split('.');
  const [first, ...rest] = labels;
  if (first.includes('**') && first !== '**') {
    return `recursive host wildcard '**' is only allowed as the entire first DNS label, got '${host}'`;
  }
  for (const label of rest) {
    if (label.includes('**')) {
      return `recursive host wildcard '**' is only allowed as the entire first DNS label, got '${host}'`;
    }
    if (label.includes('*') && label !== '*') {
      return `middle DNS label wildcard must be the entire label '*', got '${host}'`;
    }
  }
  if (labels.length <= 2) {
    return `TLD wildcard '${host}' is not allowed; use subdomain wildcards like '*.example.com' instead`;
  }
  return undefined;
}

/** A wildcard host compiled for matching: "." is the delimiter, comparison is case-insensitive. */
export function compileHostPattern(host: string): GlobMatcher {
  const matcher = compileGlob(host.toLowerCase(), ['.']);
  return (requestHost) => matcher(requestHost.toLowerCase());
}

/**
 * The longest run of literal labels at the end of a wildcard pattern ("*.s3.*.amazonaws.com" → "amazonaws.com").
 * A matching host must end with it, so the matcher indexes wildcards by this suffix.
 */
export function literalSuffix(host: string): string {
  const labels = host.toLowerCase().split('.');
  const literal: string[] = [];
  for (let i = labels.length - 1; i >= 0; i--) {
    if (/[*?[\]{}\\]/.test(labels[i])) break;
    literal.unshift(labels[i]);
  }
  return literal.join('.');
}

/**
 * The key an exact host is matched by: lower case, and an IP literal in one spelling ("[::1]", "::1" and
 * "0:0:0:0:0:0:0:1" are the same host; "::ffff:127.0.0.1" is 127.0.0.1), so a policy may write an address
 * either way. Names are only lower-cased: the cheap path for every request to a named host.
 */
export function exactHostKey(host: string): string {
  const lower = host.toLowerCase();
  if (!lower.includes(':') && !lower.startsWith('[')) return lower;
  const ip = normalizeIp(lower);
  if (!ip) return lower;
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip;
  }
}
