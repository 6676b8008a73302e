// GraphQL requests, decided on the operations they run (upstream's sandbox-policy.rego GraphQL rules):
// every operation must be allowed by a rule (type, name glob, and — when the rule lists fields — every
// root field); a deny rule matches when type and name match and any listed field is selected; a
// hash-only persisted query counts only when the endpoint registers it (persisted_queries:
// allow_registered). A GraphQL endpoint whose path covers the request is authoritative: it refuses
// what it does not allow, so a broader REST rule on the same host cannot let an operation through.
import { bodyLength, bodyText } from '../strict-json.js';
import { compileGlob } from '../glob.js';
import type { CompiledEndpoint } from '../matcher.js';
import type { Decision, L7Facts, L7Selector } from '../types.js';
import { classifyGraphql, type GraphqlOp, unsupportedGraphqlHeaders } from './graphql-request.js';
import { allowed, hardDeny, type L7Context, notAllowed } from './verdict.js';

export function decideGraphql(ctx: L7Context): Decision {
  const config = ctx.routed.l7!;
  const where = `${ctx.method} ${ctx.path}`;
  const unsupported = unsupportedGraphqlHeaders(ctx.request.headers);
  if (unsupported) return hardDeny(ctx, `${where}: ${unsupported}`);
  const size = bodyLength(ctx.request.body);
  if (size > config.bodyLimit!) {
    return hardDeny(ctx, `${where}: GraphQL request body of ${size} bytes exceeds the ${config.bodyLimit} byte inspection limit`);
  }
  const text = bodyText(ctx.request.body ?? '');
  if (!text.ok) return hardDeny(ctx, `${where}: GraphQL request rejected: ${text.error}`);
  const info = classifyGraphql(ctx.method, ctx.query, text.text);
  if (!info.ok) return hardDeny(ctx, `${where}: GraphQL request rejected: ${info.error}`);
  const ops = info.operations;

  // A deny rule, or any covering GraphQL endpoint that does not allow the request, refuses it.
  for (const ep of ctx.peers) {
    for (const op of ops) {
      const effective = effectiveOperation(op, ep);
      if (effective && (ep.endpoint.deny_rules ?? []).some((rule) => rule.operation_type && ruleMatches(effective, rule, 'deny'))) {
        return notAllowed(ctx, `${where}: ${describe(op)} blocked by deny rule`, facts(op), false);
      }
    }
  }
  for (const ep of ctx.peers) {
    for (const op of ops) {
      const effective = effectiveOperation(op, ep);
      if (!effective) return notAllowed(ctx, `${where}: GraphQL persisted query is not registered (${describe(op)})`, facts(op), false);
      if (!ep.rules.some((rule) => rule.allow.operation_type && ruleMatches(effective, rule.allow, 'allow'))) {
        return notAllowed(ctx, `${where}: ${describe(effective)} not permitted by policy`, facts(effective), true);
      }
    }
  }
  const more = ops.length > 1 ? ` and ${ops.length - 1} more operation(s)` : '';
  return allowed(ctx, `${where}: ${describe(ops[0])}${more} allowed by policy '${ctx.policy}'`, facts(ops[0]));
}

/** The operation policy judges: a hash-only persisted query stands for its registry entry, if any. */
function effectiveOperation(op: GraphqlOp, ep: CompiledEndpoint): GraphqlOp | undefined {
  if (!(op.persisted && op.operationType === '')) return op;
  const config = ep.l7!;
  if (config.persistedQueries !== 'allow_registered') return undefined;
  const key = op.persistedHash ?? op.persistedId;
  const entry = key === undefined ? undefined : config.registry.get(key);
  if (!entry) return undefined;
  return { ...op, operationType: entry.operationType, operationName: entry.operationName, fields: entry.fields };
}

function ruleMatches(op: GraphqlOp, rule: L7Selector, side: 'allow' | 'deny'): boolean {
  const type = rule.operation_type ?? '';
  if (type !== '*' && type.toLowerCase() !== op.operationType.toLowerCase()) return false;
  const name = rule.operation_name ?? '';
  if (name !== '' && !compileGlob(name, [])(op.operationName ?? '')) return false;
  const patterns = rule.fields ?? [];
  if (patterns.length === 0) return true;
  const matchesAny = (field: string) => patterns.some((p) => compileGlob(p, [])(field));
  // Allow: every selected root field must be listed (one safe field cannot carry an unlisted one).
  if (side === 'allow') return op.fields.length > 0 && op.fields.every(matchesAny);
  return op.fields.some(matchesAny);
}

function describe(op: GraphqlOp): string {
  const type = op.operationType || 'persisted query';
  const name = op.operationName ? ` ${op.operationName}` : '';
  const fields = op.fields.length > 0 ? ` (${op.fields.join(', ')})` : '';
  const id = op.operationType === '' ? ` ${op.persistedHash ?? op.persistedId}` : '';
  return `GraphQL ${type}${name}${id}${fields}`;
}

function facts(op: GraphqlOp): L7Facts {
  const f: L7Facts = { kind: 'graphql', operationType: op.operationType || 'persisted' };
  if (op.operationName) f.operationName = op.operationName;
  return f;
}
