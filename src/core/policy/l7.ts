// L7 REST matching: method, path and query selectors, as upstream's Rego evaluates them.
import { compileGlob } from './glob.js';
import type { L7Selector, QueryMatcher } from './types.js';

export interface L7Request {
  method: string;
  /** Canonical path (see canonical-path.ts). */
  path: string;
  query: Record<string, string[]>;
}

/** "*" matches every method; comparison ignores case; a GET rule also admits HEAD. */
export function methodMatches(actual: string, expected: string): boolean {
  if (expected === '*') return true;
  const a = actual.toUpperCase();
  const e = expected.toUpperCase();
  return a === e || (a === 'HEAD' && e === 'GET');
}

/** "**" matches every path; anything else is a "/"-delimited glob. An absent pattern matches nothing. */
export function pathMatches(actual: string, pattern: string | undefined): boolean {
  if (pattern === undefined) return false;
  if (pattern === '**') return true;
  return compileGlob(pattern, ['/'])(actual);
}

/** Query matcher values use Rego's default delimiter ("."), as upstream passes an empty list. */
export function queryValueMatches(value: string, matcher: QueryMatcher): boolean {
  if (typeof matcher === 'string') return compileGlob(matcher, [])(value);
  if (matcher.glob) return compileGlob(matcher.glob, [])(value);
  if (matcher.any && matcher.any.length > 0) return matcher.any.some((p) => compileGlob(p, [])(value));
  return false;
}

/** Allow side: every configured key must be present and every one of its values must match. */
export function allowQueryMatches(request: L7Request, rules: Record<string, QueryMatcher> | undefined): boolean {
  if (!rules) return true;
  for (const [key, matcher] of Object.entries(rules)) {
    const values = request.query[key];
    if (!values || values.length === 0) return false;
    if (!values.every((v) => queryValueMatches(v, matcher))) return false;
  }
  return true;
}

/** Deny side: a missing key means the deny rule does not apply; one matching value is enough to block. */
export function denyQueryMatches(request: L7Request, rules: Record<string, QueryMatcher> | undefined): boolean {
  if (!rules || Object.keys(rules).length === 0) return true;
  for (const [key, matcher] of Object.entries(rules)) {
    const values = request.query[key];
    if (values === undefined) return false;
    if (!values.some((v) => queryValueMatches(v, matcher))) return false;
  }
  return true;
}

export function allowRuleMatches(request: L7Request, allow: L7Selector): boolean {
  if (!allow.method) return false;
  return methodMatches(request.method, allow.method) && pathMatches(request.path, allow.path) && allowQueryMatches(request, allow.query);
}

export function denyRuleMatches(request: L7Request, deny: L7Selector): boolean {
  if (!deny.method) return false;
  return methodMatches(request.method, deny.method) && pathMatches(request.path, deny.path) && denyQueryMatches(request, deny.query);
}
