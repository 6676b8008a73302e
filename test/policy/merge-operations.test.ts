// UpdateConfig merge operations on a network_policies map (upstream crates/openshell-policy/src/merge.rs).
// Ours is a deliberately simpler subset of upstream's merge; where it differs the test says so.
import { describe, expect, it } from 'vitest';
import { applyMergeOperations, MergeError, type MergeOperation, type NetworkPolicies } from '../../src/core/policy/merge-operations.js';
import type { L7Rule, NetworkEndpoint, NetworkPolicyRule } from '../../src/core/policy/types.js';

const GH = '/usr/bin/gh';
const CURL = '/usr/bin/curl';
const ep = (host: string, port: number, extra: Partial<NetworkEndpoint> = {}): NetworkEndpoint => ({ host, port, ...extra });
const rule = (endpoints: NetworkEndpoint[], binaries: string[], name?: string): NetworkPolicyRule => ({
  ...(name ? { name } : {}),
  endpoints,
  binaries: binaries.map((path) => ({ path })),
});
const allow = (method: string, path: string): L7Rule => ({ allow: { method, path } });
const addRule = (rule_name: string, r: NetworkPolicyRule): MergeOperation => ({ add_rule: { rule_name, rule: r } });
const apply = (policies: NetworkPolicies, ...ops: MergeOperation[]) => applyMergeOperations(policies, ops);

/** Runs the operations expecting a MergeError and returns its message. */
function mergeError(policies: NetworkPolicies, ...ops: MergeOperation[]): string {
  try {
    applyMergeOperations(policies, ops);
  } catch (error) {
    expect(error).toBeInstanceOf(MergeError);
    return (error as Error).message;
  }
  throw new Error('expected a MergeError');
}

describe('add_rule', () => {
  it('into an empty map inserts the requested key, naming the rule after it when the rule has no name', () => {
    const out = apply({}, addRule('allow_api_example_com_443', rule([ep('api.example.com', 443)], [CURL])));
    expect(out).toEqual({
      allow_api_example_com_443: { name: 'allow_api_example_com_443', endpoints: [ep('api.example.com', 443)], binaries: [{ path: CURL }] },
    });
    // A name the rule carries is kept.
    expect(apply({}, addRule('k', rule([ep('a.test', 443)], [CURL], 'custom'))).k.name).toBe('custom');
  });

  it('the added rule shares nothing with the operation it came from', () => {
    const op = addRule('k', rule([ep('a.test', 443)], [CURL]));
    const out = apply({}, op);
    out.k.binaries.push({ path: '/bin/evil' });
    out.k.endpoints[0].host = 'evil.test';
    expect(op).toEqual(addRule('k', rule([ep('a.test', 443)], [CURL])));
  });

  it('into an existing key unions endpoints and binaries without duplicates', () => {
    const policies = { gh: rule([ep('api.github.com', 443)], [GH], 'gh') };
    const out = apply(policies, addRule('gh', rule([ep('api.github.com', 443), ep('uploads.github.com', 443)], [GH, CURL])));
    expect(out).toEqual({ gh: rule([ep('api.github.com', 443), ep('uploads.github.com', 443)], [GH, CURL], 'gh') });
  });

  it('into an existing key unions the L7 rules of the same endpoint without duplicates', () => {
    const policies = { gh: rule([ep('api.github.com', 443, { protocol: 'rest', rules: [allow('GET', '/a')] })], [GH], 'gh') };
    const out = apply(
      policies,
      addRule('gh', rule([ep('api.github.com', 443, { protocol: 'rest', rules: [allow('GET', '/a'), allow('POST', '/b')] })], [GH])),
    );
    expect(out.gh.endpoints).toEqual([ep('api.github.com', 443, { protocol: 'rest', rules: [allow('GET', '/a'), allow('POST', '/b')] })]);
  });

  it('explicit rules merged into an access shorthand expand the shorthand first (as upstream)', () => {
    const policies = { gh: rule([ep('api.github.com', 443, { protocol: 'rest', access: 'read-only' })], [GH], 'gh') };
    const out = apply(
      policies,
      addRule('gh', rule([ep('api.github.com', 443, { protocol: 'rest', rules: [allow('POST', '/repos/*/issues')] })], [GH])),
    );
    expect(out.gh.endpoints).toEqual([
      ep('api.github.com', 443, {
        protocol: 'rest',
        rules: [allow('GET', '**'), allow('HEAD', '**'), allow('OPTIONS', '**'), allow('POST', '/repos/*/issues')],
      }),
    ]);
  });

  it('adding a rule that is already there changes nothing, not even the access shorthand into explicit rules', () => {
    const policies = { gh: rule([ep('api.github.com', 443, { protocol: 'rest', access: 'read-only' })], [GH], 'gh') };
    expect(apply(policies, addRule('gh', structuredClone(policies.gh)))).toEqual(policies);
    // The same through the overlap fold under another name.
    expect(apply(policies, addRule('again', rule([ep('api.github.com', 443, { protocol: 'rest', access: 'read-only' })], [GH])))).toEqual(
      policies,
    );
  });

  it('a new key whose host:port overlaps a rule with the same binaries folds into that rule', () => {
    const policies = { github: rule([ep('api.github.com', 443)], [GH, CURL], 'github') };
    // Host compared case-insensitively (as upstream); binaries compared as a set.
    const out = apply(policies, addRule('gh_uploads', rule([ep('API.GitHub.com', 443), ep('uploads.github.com', 443)], [CURL, GH])));
    expect(Object.keys(out)).toEqual(['github']);
    expect(out.github).toEqual(rule([ep('api.github.com', 443), ep('uploads.github.com', 443)], [GH, CURL], 'github'));
  });

  it('a new key overlapping a rule with different binaries stays on its own key and leaves that rule alone', () => {
    const policies = { github: rule([ep('api.github.com', 443), ep('admin.github.com', 443)], [GH], 'github') };
    const narrow = rule([ep('api.github.com', 443)], [CURL]);
    const out = apply(policies, addRule('curl_api', narrow));
    expect(out.github).toEqual(policies.github);
    expect(out.curl_api).toEqual({ ...narrow, name: 'curl_api' });
    // Difference: upstream folds when the operation declares the existing rule's whole scope (e.g. a superset
    // of its binaries and every endpoint); ours folds only when the binaries are identical.
    const superset = apply(policies, addRule('both', rule([ep('api.github.com', 443), ep('admin.github.com', 443)], [GH, CURL])));
    expect(superset.github).toEqual(policies.github);
    expect(Object.keys(superset).sort()).toEqual(['both', 'github']);
  });

  it('never folds into a provider rule (_provider_*), as upstream', () => {
    const policies = { _provider_github: rule([ep('api.github.com', 443, { protocol: 'rest', access: 'read-write' })], [GH]) };
    const out = apply(
      policies,
      addRule('agent', rule([ep('api.github.com', 443, { protocol: 'rest', rules: [allow('PUT', '/x')] })], [GH])),
    );
    expect(out._provider_github).toEqual(policies._provider_github);
    expect(out.agent.endpoints[0].rules).toEqual([allow('PUT', '/x')]);
  });

  it('endpoints with different paths do not overlap: no fold, and no merging of one into the other', () => {
    const v1 = ep('api.test', 443, { protocol: 'rest', path: '/v1/**', rules: [allow('GET', '/v1/a')] });
    const v2 = ep('api.test', 443, { protocol: 'rest', path: '/v2/**', rules: [allow('GET', '/v2/a')] });
    const policies = { api: rule([v1], [CURL], 'api') };
    const folded = apply(policies, addRule('v2', rule([v2], [CURL])));
    expect(folded.api).toEqual(policies.api);
    expect(folded.v2.endpoints).toEqual([v2]);
    // Into the same key the /v2 endpoint is added beside /v1, keeping its path.
    expect(apply(policies, addRule('api', rule([v2], [CURL]))).api.endpoints).toEqual([v1, v2]);
  });

  it('an endpoint declaring more ports than the existing one keeps every declared port (none silently dropped)', () => {
    const existing = ep('api.test', 443, { protocol: 'rest', rules: [allow('GET', '/a')] });
    const incoming: NetworkEndpoint = { host: 'api.test', ports: [443, 8443], protocol: 'rest', rules: [allow('POST', '/b')] };
    const out = apply({ api: rule([existing], [CURL], 'api') }, addRule('api', rule([incoming], [CURL])));
    // Difference: upstream unions the ports into one endpoint (and its rules then reach both ports); ours keeps
    // the incoming endpoint beside the existing one, so each port gets exactly the rules declared for it.
    expect(out.api.endpoints).toEqual([existing, incoming]);
  });

  it('an endpoint declaring fewer ports than the existing one does not extend its rules to the undeclared port', () => {
    const existing: NetworkEndpoint = { host: 'api.test', ports: [443, 8443], protocol: 'rest', rules: [allow('GET', '/a')] };
    const incoming = ep('api.test', 443, { protocol: 'rest', rules: [allow('DELETE', '/b')] });
    const out = apply({ api: rule([existing], [CURL], 'api') }, addRule('api', rule([incoming], [CURL])));
    // Difference: upstream rejects this on the same key (UndeclaredPortWouldChange); ours adds it as its own endpoint.
    expect(out.api.endpoints).toEqual([existing, incoming]);
    const on8443 = out.api.endpoints.filter((e) => (e.ports ?? [e.port]).includes(8443));
    expect(on8443.flatMap((e) => e.rules)).toEqual([allow('GET', '/a')]);
  });

  it('writes an endpoint given with both port and ports (the wire form) in the YAML form: ports only', () => {
    const out = apply(
      {},
      addRule(
        'k',
        rule(
          [
            { host: 'a.test', port: 80, ports: [443, 80, 443] },
            { host: 'b.test', port: 443, ports: [443] },
          ],
          [CURL],
        ),
      ),
    );
    expect(out.k.endpoints).toEqual([
      { host: 'a.test', ports: [80, 443] },
      { host: 'b.test', port: 443 },
    ]);
  });

  it('binaries: an empty list gains the named binaries; a named list is not emptied by an incoming empty list', () => {
    // Our matcher lets no binary through a rule with an empty list (validate.ts warns it can never match), so
    // naming binaries grants them. Difference: upstream's merge treats an empty list as "any binary" and keeps it.
    expect(apply({ k: rule([ep('a.test', 443)], [], 'k') }, addRule('k', rule([ep('a.test', 443)], [CURL]))).k.binaries).toEqual([
      { path: CURL },
    ]);
    // Difference: upstream replaces the named list with "any binary" (after its inheritance checks); ours adds nothing.
    expect(apply({ k: rule([ep('a.test', 443)], [CURL], 'k') }, addRule('k', rule([ep('a.test', 443)], []))).k.binaries).toEqual([
      { path: CURL },
    ]);
  });

  it('trims the rule name it is given', () => {
    // Difference: upstream rejects a blank name the same way but inserts the name as given, untrimmed.
    expect(Object.keys(apply({}, addRule('  k  ', rule([ep('a.test', 443)], [CURL]))))).toEqual(['k']);
  });

  it('an empty rule_name is a MergeError naming the operation', () => {
    const ok = addRule('ok', rule([ep('a.test', 443)], [CURL]));
    expect(mergeError({}, ok, addRule('', rule([ep('a.test', 443)], [CURL])))).toMatch(
      /^merge_operations\[1\]: add_rule\.rule_name is required/,
    );
    expect(mergeError({}, addRule('   ', rule([ep('a.test', 443)], [CURL])))).toMatch(
      /^merge_operations\[0\]: add_rule\.rule_name is required/,
    );
  });

  it('a rule without endpoints is a MergeError naming the operation and the rule (as upstream)', () => {
    expect(mergeError({}, addRule('empty', rule([], [CURL])))).toMatch(
      /^merge_operations\[0\]: add_rule 'empty' must contain at least one endpoint/,
    );
    expect(mergeError({}, addRule('empty', { endpoints: undefined as unknown as NetworkEndpoint[], binaries: [] }))).toMatch(
      /^merge_operations\[0\]/,
    );
  });
});

describe('remove_rule', () => {
  it('removes the key and nothing else; an unknown key is a no-op (as upstream)', () => {
    const policies = { a: rule([ep('a.test', 443)], [CURL], 'a'), b: rule([ep('b.test', 443)], [CURL], 'b') };
    expect(apply(policies, { remove_rule: { rule_name: 'a' } })).toEqual({ b: policies.b });
    expect(apply(policies, { remove_rule: { rule_name: 'nope' } })).toEqual(policies);
  });
});

describe('remove_endpoint', () => {
  const policies = (): NetworkPolicies => ({
    a: rule([ep('shared.test', 443), ep('a.test', 443)], [CURL], 'a'),
    b: rule([ep('shared.test', 443)], [GH], 'b'),
  });

  it('with rule_name touches only that rule', () => {
    const out = apply(policies(), { remove_endpoint: { rule_name: 'a', host: 'shared.test', port: 443 } });
    expect(out).toEqual({ a: rule([ep('a.test', 443)], [CURL], 'a'), b: policies().b });
  });

  it('without rule_name removes the endpoint from every rule, and a rule left without endpoints is removed', () => {
    const out = apply(policies(), { remove_endpoint: { host: 'SHARED.test', port: 443 } });
    expect(out).toEqual({ a: rule([ep('a.test', 443)], [CURL], 'a') });
  });

  it('an unknown rule_name, host or port changes nothing', () => {
    expect(apply(policies(), { remove_endpoint: { rule_name: 'nope', host: 'shared.test', port: 443 } })).toEqual(policies());
    expect(apply(policies(), { remove_endpoint: { host: 'shared.test', port: 80 } })).toEqual(policies());
  });

  it('on a multi-port endpoint drops only the requested port', () => {
    const multi = { m: rule([{ host: 'api.test', ports: [80, 443, 8080], protocol: 'rest', access: 'full' }], [CURL], 'm') };
    expect(apply(multi, { remove_endpoint: { host: 'api.test', port: 443 } }).m.endpoints).toEqual([
      { host: 'api.test', ports: [80, 8080], protocol: 'rest', access: 'full' },
    ]);
    // One port left: the YAML form, a single `port` (upstream's wire form sets port and ports: [80]).
    const two = { m: rule([{ host: 'api.test', ports: [80, 443] }], [CURL], 'm') };
    expect(apply(two, { remove_endpoint: { host: 'api.test', port: 443 } }).m.endpoints).toEqual([{ host: 'api.test', port: 80 }]);
    expect(apply(two, { remove_endpoint: { host: 'api.test', port: 443 } }, { remove_endpoint: { host: 'api.test', port: 80 } })).toEqual(
      {},
    );
  });
});

describe('remove_binary', () => {
  const policies = { k: rule([ep('a.test', 443)], [GH, CURL], 'k') };

  it('removes the named binary and keeps the rule while others remain', () => {
    expect(apply(policies, { remove_binary: { rule_name: 'k', binary_path: GH } })).toEqual({ k: rule([ep('a.test', 443)], [CURL], 'k') });
  });

  it('removing the last binary deletes the rule rather than leaving an empty list (as upstream)', () => {
    expect(
      apply(policies, { remove_binary: { rule_name: 'k', binary_path: GH } }, { remove_binary: { rule_name: 'k', binary_path: CURL } }),
    ).toEqual({});
  });

  it('an unknown binary or rule is a no-op', () => {
    expect(apply(policies, { remove_binary: { rule_name: 'k', binary_path: '/bin/other' } })).toEqual(policies);
    expect(apply(policies, { remove_binary: { rule_name: 'nope', binary_path: GH } })).toEqual(policies);
  });

  it('a rule with an empty binaries list is a MergeError (as upstream), naming the operation and the rule', () => {
    const message = mergeError(
      { wide: rule([ep('a.test', 443)], [], 'wide') },
      { remove_rule: { rule_name: 'x' } },
      { remove_binary: { rule_name: 'wide', binary_path: CURL } },
    );
    expect(message).toMatch(/^merge_operations\[1\]: rule 'wide' applies to every binary/);
    expect(message).toContain(CURL);
  });
});

describe('add_allow_rules', () => {
  it('expands an access shorthand first, then appends (upstream add_allow_expands_access_preset)', () => {
    const policies = { github: rule([ep('api.github.com', 443, { protocol: 'rest', access: 'read-only' })], [GH], 'github') };
    const out = apply(policies, { add_allow_rules: { host: 'api.github.com', port: 443, rules: [allow('POST', '/repos/*/issues')] } });
    expect(out.github.endpoints).toEqual([
      ep('api.github.com', 443, {
        protocol: 'rest',
        rules: [allow('GET', '**'), allow('HEAD', '**'), allow('OPTIONS', '**'), allow('POST', '/repos/*/issues')],
      }),
    ]);
  });

  it('expands a websocket shorthand with the websocket methods (upstream add_allow_expands_websocket_access_preset)', () => {
    const policies = { rt: rule([ep('realtime.test', 443, { protocol: 'websocket', access: 'read-write' })], [CURL], 'rt') };
    const out = apply(policies, {
      add_allow_rules: { host: 'realtime.test', port: 443, rules: [allow('WEBSOCKET_TEXT', '/rooms/private/**')] },
    });
    expect(out.rt.endpoints[0]).toEqual(
      ep('realtime.test', 443, {
        protocol: 'websocket',
        rules: [allow('GET', '**'), allow('WEBSOCKET_TEXT', '**'), allow('WEBSOCKET_TEXT', '/rooms/private/**')],
      }),
    );
  });

  it('appends only the rules not already there', () => {
    const policies = { k: rule([ep('a.test', 443, { protocol: 'rest', rules: [allow('GET', '/a')] })], [CURL], 'k') };
    const out = apply(policies, {
      add_allow_rules: { host: 'a.test', port: 443, rules: [allow('GET', '/a'), allow('POST', '/b'), allow('POST', '/b')] },
    });
    expect(out.k.endpoints[0].rules).toEqual([allow('GET', '/a'), allow('POST', '/b')]);
  });

  it('finds the endpoint by host (case-insensitive) and any of its ports', () => {
    const policies = { k: rule([{ host: 'a.test', ports: [443, 8443], protocol: 'rest', rules: [allow('GET', '/a')] }], [CURL], 'k') };
    expect(apply(policies, { add_allow_rules: { host: 'A.TEST', port: 8443, rules: [allow('POST', '/b')] } }).k.endpoints[0].rules).toEqual(
      [allow('GET', '/a'), allow('POST', '/b')],
    );
  });

  it('refuses a missing endpoint and one not inspected at L7 (no protocol, or a non-HTTP protocol)', () => {
    const policies = {
      l4: rule([ep('l4.test', 443)], [CURL], 'l4'),
      db: rule([ep('db.test', 5432, { protocol: 'sql', access: 'full' })], [CURL], 'db'),
    };
    const op = (host: string, port: number): MergeOperation => ({ add_allow_rules: { host, port, rules: [allow('GET', '/')] } });
    expect(mergeError(policies, op('missing.test', 443))).toMatch(/^merge_operations\[0\]: no endpoint missing\.test:443/);
    expect(mergeError(policies, op('l4.test', 443))).toMatch(/not inspected at L7 \(protocol 'none'\)/);
    expect(mergeError(policies, op('db.test', 5432))).toMatch(/not inspected at L7 \(protocol 'sql'\)/);
  });
});

describe('add_deny_rules', () => {
  it('appends unique deny rules to an endpoint with an allow base', () => {
    const policies = {
      k: rule([ep('a.test', 443, { protocol: 'rest', access: 'full', deny_rules: [{ method: 'DELETE', path: '/a' }] })], [CURL], 'k'),
    };
    const out = apply(policies, {
      add_deny_rules: {
        host: 'a.test',
        port: 443,
        deny_rules: [
          { method: 'DELETE', path: '/a' },
          { method: 'POST', path: '/admin/**' },
        ],
      },
    });
    // The access shorthand stays: deny rules narrow it without expanding it (as upstream).
    expect(out.k.endpoints[0]).toEqual(
      ep('a.test', 443, {
        protocol: 'rest',
        access: 'full',
        deny_rules: [
          { method: 'DELETE', path: '/a' },
          { method: 'POST', path: '/admin/**' },
        ],
      }),
    );
  });

  it('accepts a websocket endpoint (upstream add_deny_accepts_websocket_protocol)', () => {
    const policies = { rt: rule([ep('rt.test', 443, { protocol: 'websocket', access: 'read-write' })], [CURL], 'rt') };
    const out = apply(policies, {
      add_deny_rules: { host: 'rt.test', port: 443, deny_rules: [{ method: 'WEBSOCKET_TEXT', path: '/admin/**' }] },
    });
    expect(out.rt.endpoints[0].deny_rules).toEqual([{ method: 'WEBSOCKET_TEXT', path: '/admin/**' }]);
  });

  it('requires an allow base (access or rules) on the endpoint', () => {
    const policies = { k: rule([ep('a.test', 443, { protocol: 'rest' })], [CURL], 'k') };
    expect(mergeError(policies, { add_deny_rules: { host: 'a.test', port: 443, deny_rules: [{ method: 'POST' }] } })).toMatch(
      /^merge_operations\[0\]: a\.test:443 allows nothing at L7/,
    );
  });

  it('requires an L7 (rest or websocket) endpoint', () => {
    const policies = {
      l4: rule([ep('l4.test', 443)], [CURL], 'l4'),
      db: rule([ep('db.test', 5432, { protocol: 'sql', access: 'full' })], [CURL], 'db'),
    };
    expect(mergeError(policies, { add_deny_rules: { host: 'l4.test', port: 443, deny_rules: [{ method: 'POST' }] } })).toMatch(
      /not inspected at L7/,
    );
    expect(
      mergeError(policies, { add_deny_rules: { host: 'db.test', port: 5432, deny_rules: [{ method: 'POST', path: '/admin' }] } }),
    ).toMatch(/protocol 'sql'/);
  });
});

describe('ambiguous host:port', () => {
  const inspected = (rules: L7Rule[], extra: Partial<NetworkEndpoint> = {}) => ep('api.test', 443, { protocol: 'rest', rules, ...extra });

  it('carried by two rules: add_allow_rules and add_deny_rules both refuse, naming both rules (as upstream)', () => {
    const policies = {
      broad: rule([inspected([allow('GET', '/public')])], [CURL, GH], 'broad'),
      narrow: rule([inspected([allow('GET', '/public')])], ['/bin/other'], 'narrow'),
    };
    for (const op of [
      { add_allow_rules: { host: 'api.test', port: 443, rules: [allow('POST', '/admin')] } },
      { add_deny_rules: { host: 'api.test', port: 443, deny_rules: [{ method: 'POST' }] } },
    ] satisfies MergeOperation[]) {
      expect(mergeError(policies, op)).toMatch(/^merge_operations\[0\]: api\.test:443 appears in several rules \(broad, narrow\)/);
    }
  });

  it('two endpoints (different paths) within one rule are ambiguous too (as upstream)', () => {
    const policies = {
      versioned: rule(
        [inspected([allow('GET', '/v1/a')], { path: '/v1/**' }), inspected([allow('GET', '/v2/a')], { path: '/v2/**' })],
        [CURL],
        'versioned',
      ),
    };
    expect(mergeError(policies, { add_allow_rules: { host: 'api.test', port: 443, rules: [allow('POST', '/admin')] } })).toMatch(
      /appears in several rules/,
    );
  });
});

describe('applyMergeOperations', () => {
  const base = (): NetworkPolicies => ({
    github: rule([ep('api.github.com', 443, { protocol: 'rest', access: 'read-only' })], [GH, CURL], 'github'),
    pypi: rule([ep('pypi.org', 443), ep('files.pythonhosted.org', 443)], [CURL], 'pypi'),
  });

  it('applies the operations in order', () => {
    const inOrder: MergeOperation[] = [
      addRule('docs', rule([ep('docs.test', 443, { protocol: 'rest', access: 'read-only' })], [CURL])),
      { add_allow_rules: { host: 'docs.test', port: 443, rules: [allow('POST', '/search')] } },
      { remove_binary: { rule_name: 'github', binary_path: CURL } },
    ];
    const out = applyMergeOperations(base(), inOrder);
    expect(out.docs.endpoints[0].rules).toContainEqual(allow('POST', '/search'));
    expect(out.github.binaries).toEqual([{ path: GH }]);
    // The same operations in another order: the allow rules now name an endpoint that does not exist yet.
    expect(mergeError(base(), inOrder[1], inOrder[0])).toMatch(/^merge_operations\[0\]: no endpoint docs\.test:443/);
    // A later operation sees an earlier one's result: the rule removed first cannot take allow rules.
    expect(
      mergeError(
        base(),
        { remove_rule: { rule_name: 'github' } },
        { add_allow_rules: { host: 'api.github.com', port: 443, rules: [allow('GET', '/x')] } },
      ),
    ).toMatch(/^merge_operations\[1\]: no endpoint/);
  });

  it('never mutates the input map, and the result shares no objects with it', () => {
    const input = base();
    const snapshot = structuredClone(input);
    const out = applyMergeOperations(input, [
      addRule('github', rule([ep('api.github.com', 443, { protocol: 'rest', rules: [allow('PUT', '/x')] })], ['/bin/new'])),
      { add_allow_rules: { host: 'api.github.com', port: 443, rules: [allow('POST', '/y')] } },
      { add_deny_rules: { host: 'api.github.com', port: 443, deny_rules: [{ method: 'DELETE' }] } },
      { remove_endpoint: { host: 'pypi.org', port: 443 } },
      { remove_binary: { rule_name: 'github', binary_path: CURL } },
    ]);
    expect(input).toEqual(snapshot);
    expect(out).not.toEqual(snapshot);
    out.pypi.endpoints[0].host = 'changed.test';
    out.pypi.binaries[0].path = '/changed';
    expect(input).toEqual(snapshot);
  });

  it('with no operations returns an equal copy', () => {
    const input = base();
    const out = applyMergeOperations(input, []);
    expect(out).toEqual(input);
    expect(out).not.toBe(input);
  });

  it('is all or nothing: an error in operation k throws, and nothing of operations before k reaches the input', () => {
    const input = base();
    const snapshot = structuredClone(input);
    const message = mergeError(
      input,
      { remove_rule: { rule_name: 'pypi' } },
      addRule('new', rule([ep('new.test', 443)], [CURL])),
      { add_deny_rules: { host: 'pypi.org', port: 443, deny_rules: [{ method: 'POST' }] } },
      { remove_rule: { rule_name: 'github' } },
    );
    expect(message).toMatch(/^merge_operations\[2\]: no endpoint pypi\.org:443/);
    expect(input).toEqual(snapshot);
  });

  it('an error that is not a MergeError passes through unchanged', () => {
    const bad = { add_rule: { rule_name: 'k', rule: null } } as unknown as MergeOperation;
    expect(() => applyMergeOperations({}, [bad])).toThrow(TypeError);
  });
});
