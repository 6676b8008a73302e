// L7 REST matching: method, path and query selectors, as upstream's Rego evaluates them — plus the
// spellings upstream leaves open. Servers differ in how they read a path or a query: some fold case,
// drop trailing dots or blanks in a segment, read `key[]=` as `key`, split a query on `;`. A deny rule
// must hold whichever reading the upstream server uses, so deny rules (and allow-rule query values) are
// also matched against a folded spelling of the request; allow paths keep upstream's exact matching.
import { compileGlob } from '../glob.js';
import type { L7Selector, QueryMatcher } from '../types.js';

export interface L7Request {
  method: string;
  /** Canonical path (see canonical-path.ts). */
  path: string;
  query: Record<string, string[]>;
  /** Lazily computed folded spellings (see foldPath / foldQuery). */
  folded?: { path: string; query: Record<string, string[]> };
}

/**
 * The path as the most lenient server would route it: lower case, each segment without trailing dots
 * or surrounding blanks (%20), no empty segments, no trailing slash. Only ever used to widen deny rules.
 */
export function foldPath(path: string): string {
  const segments = path
    .toLowerCase()
    .split('/')
    .map((seg) => seg.replace(/^(?:%20)+/, '').replace(/(?:%20|\.)+$/, ''))
    .filter((seg) => seg !== '');
  return `/${segments.join('/')}`;
}

/**
 * Query keys folded (foldKey), values lower-cased and trimmed; `;` read as a separator, in values and in
 * names alike (a server that splits on `;` reads "x=1&amp;user_id=1" as x, amp and user_id).
 */
export function foldQuery(query: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null);
  const add = (key: string, value: string) => {
    const k = foldKey(key);
    (out[k] ??= []).push(value.trim().toLowerCase());
  };
  for (const key of Object.keys(query)) {
    const names = key.split(';');
    const last = names.pop()!;
    for (const name of names) add(name, '');
    for (const value of query[key]) {
      const parts = value.split(';');
      add(last, parts[0]);
      for (const extra of parts.slice(1)) {
        const eq = extra.indexOf('=');
        if (eq < 0) add(extra, '');
        else add(extra.slice(0, eq), extra.slice(eq + 1));
      }
    }
  }
  return out;
}

/**
 * A query name as the most lenient server reads it: trimmed and lower-cased; an array name (`key[]`,
 * `key[0]`, `key[a]rest`) is its base name, as PHP and Rails read it; and PHP's mangling: "." and " " in
 * a name, and a "[" that is never closed, become "_" (`user.id`, `user id` and `user[id` all reach a PHP
 * application as user_id). Applied to rule keys and request keys alike, so it only ever widens a match.
 */
export function foldKey(key: string): string {
  let k = key.trim().toLowerCase();
  const open = k.indexOf('[');
  if (open > 0 && k.indexOf(']', open) > 0) k = k.slice(0, open);
  return k.replace(/[ .[]/g, '_');
}

function folded(request: L7Request): { path: string; query: Record<string, string[]> } {
  if (!request.folded) request.folded = { path: foldPath(request.path), query: foldQuery(request.query) };
  return request.folded;
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

/**
 * Allow side: every configured key must be present and every one of its values must match — under the
 * exact spelling (upstream) and under the folded one, so `key[]=` or `KEY=` cannot smuggle a value past it.
 */
export function allowQueryMatches(request: L7Request, rules: Record<string, QueryMatcher> | undefined): boolean {
  if (!rules) return true;
  const entries = Object.entries(rules);
  if (entries.length === 0) return true;
  for (const [key, matcher] of entries) {
    const values = Object.hasOwn(request.query, key) ? request.query[key] : undefined;
    if (!values || values.length === 0) return false;
    if (!values.every((v) => queryValueMatches(v, matcher))) return false;
  }
  const fq = folded(request).query;
  for (const [key, matcher] of entries) {
    const values = fq[foldKey(key)];
    // Compare the folded values case-insensitively: what must hold is that no other spelling adds a value.
    if (values && !values.every((v) => queryValueMatches(v, matcher) || queryValueMatches(v, lowerMatcher(matcher)))) return false;
  }
  return true;
}

function lowerMatcher(matcher: QueryMatcher): QueryMatcher {
  if (typeof matcher === 'string') return matcher.toLowerCase();
  return {
    ...(matcher.glob ? { glob: matcher.glob.toLowerCase() } : {}),
    ...(matcher.any ? { any: matcher.any.map((p) => p.toLowerCase()) } : {}),
  };
}

/** Deny side: a missing key means the deny rule does not apply; one matching value is enough to block. */
export function denyQueryMatches(request: L7Request, rules: Record<string, QueryMatcher> | undefined): boolean {
  if (!rules || Object.keys(rules).length === 0) return true;
  return denyQueryIn(request.query, rules, false) || denyQueryIn(folded(request).query, rules, true);
}

function denyQueryIn(query: Record<string, string[]>, rules: Record<string, QueryMatcher>, fold: boolean): boolean {
  for (const [key, matcher] of Object.entries(rules)) {
    const k = fold ? foldKey(key) : key;
    const values = Object.hasOwn(query, k) ? query[k] : undefined;
    if (values === undefined) return false;
    const m = fold ? lowerMatcher(matcher) : matcher;
    if (!values.some((v) => queryValueMatches(v, m))) return false;
  }
  return true;
}

export function allowRuleMatches(request: L7Request, allow: L7Selector): boolean {
  if (!allow.method) return false;
  return methodMatches(request.method, allow.method) && pathMatches(request.path, allow.path) && allowQueryMatches(request, allow.query);
}

/** A deny rule blocks the request when it matches the exact spelling (upstream) or the folded one. */
export function denyRuleMatches(request: L7Request, deny: L7Selector): boolean {
  if (!deny.method) return false;
  if (!methodMatches(request.method, deny.method)) return false;
  const pathHit =
    pathMatches(request.path, deny.path) || (deny.path !== undefined && pathMatches(folded(request).path, foldPattern(deny.path)));
  return pathHit && denyQueryMatches(request, deny.query);
}

/** A deny path pattern in the folded spelling: lower case, no trailing slash (globs are kept as written). */
function foldPattern(pattern: string): string {
  const lower = pattern.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') && !lower.endsWith('**/') ? lower.slice(0, -1) : lower;
}
