// `policy explain`: one decision, laid out for a person.
import type { Command } from '../command.js';
import { requireString, stringList, UsageError } from '../command.js';
import { decide } from '../../core/policy/decide.js';
import { loadEffectivePolicy } from '../../core/policy/effective.js';
import { parseDecisionRequest } from '../../core/policy/request.js';
import { sanitizeForTerminal } from '../../core/text/sanitize.js';

export const policyExplain: Command = {
  path: ['policy', 'explain'],
  usage: 'policy explain --policy FILE --host H --port P [--binary B] [--method M --path P] [--preset FILE]...',
  summary: 'Decide one request and explain the decision: outcome, stage, matching policy and why. Exit 0 when allowed, 1 when denied.',
  flags: {
    policy: { type: 'string', value: 'FILE', description: 'Sandbox policy YAML (the baseline)' },
    preset: { type: 'string', multiple: true, value: 'FILE', description: 'NemoClaw preset YAML layered on top' },
    host: { type: 'string', value: 'HOST', description: 'Destination host name or IP' },
    port: { type: 'string', value: 'PORT', description: 'Destination port' },
    binary: { type: 'string', value: 'PATH', description: 'Executable making the request (default: unknown)' },
    method: { type: 'string', value: 'METHOD', description: 'HTTP method, for L7 rules' },
    path: { type: 'string', value: 'PATH', description: 'HTTP path (with optional ?query), for L7 rules' },
    'resolved-ip': { type: 'string', multiple: true, value: 'IP', description: 'An address the host resolved to, for the SSRF guard' },
  },
  async run(args, io) {
    const port = Number(requireString(args, 'port'));
    const rawPath = args.flags.path as string | undefined;
    const [path, queryText] = rawPath === undefined ? [undefined, undefined] : splitQuery(rawPath);
    const parsed = parseDecisionRequest({
      host: requireString(args, 'host'),
      port,
      binary: (args.flags.binary as string | undefined) ?? 'unknown',
      method: args.flags.method,
      path: path ?? (args.flags.method ? '/' : undefined),
      query: queryText === undefined ? undefined : parseQuery(queryText),
      resolved_ips: stringList(args, 'resolved-ip').length > 0 ? stringList(args, 'resolved-ip') : undefined,
    });
    if (!parsed.ok) throw new UsageError(parsed.reason);
    const { compiled } = await loadEffectivePolicy(requireString(args, 'policy'), stringList(args, 'preset'));
    const r = parsed.request;
    const d = decide(compiled, r);
    const what = [r.method, r.method ? `${r.host}:${r.port}${rawPath ?? '/'}` : `${r.host}:${r.port}`].filter(Boolean).join(' ');
    const lines = [
      `${d.outcome.toUpperCase()}${d.audit ? ' (audit)' : ''}  ${what}`,
      `  binary:  ${r.binary}`,
      `  stage:   ${d.stage}`,
      `  policy:  ${d.policy ?? '(none)'}`,
      `  reason:  ${d.reason}`,
    ];
    io.stdout.write(`${lines.map(sanitizeForTerminal).join('\n')}\n`);
    return d.outcome === 'allow' ? 0 : 1;
  },
};

function splitQuery(raw: string): [string, string | undefined] {
  const q = raw.indexOf('?');
  return q < 0 ? [raw, undefined] : [raw.slice(0, q), raw.slice(q + 1)];
}

function parseQuery(text: string): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(text)) (query[name] ??= []).push(value);
  return query;
}
