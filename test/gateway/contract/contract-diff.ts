// Compares a directory of our .proto files with transcribed upstream tables: every message, field
// (name, number, type, label, oneof, map key), enum value, reserved number and name, and RPC
// (request, response, streaming) — and nothing more or less. Empty result = wire-identical.
import path from 'node:path';
import protobuf from 'protobufjs';
import type { ContractTables, Field } from './contract-types.js';

export function loadRoot(dir: string, files: readonly string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.loadSync(
    files.map((f) => path.join(dir, f)),
    { keepCase: true },
  );
  root.resolveAll();
  return root;
}

const bare = (fullName: string) => fullName.replace(/^\./, '');

function describeField(f: protobuf.Field): Field {
  const type = f.resolvedType ? bare(f.resolvedType.fullName) : f.type;
  let kind = '';
  if (f instanceof protobuf.MapField) kind = `map<${f.keyType}>`;
  else if (f.repeated) kind = 'repeated';
  else if (f.partOf && f.options?.proto3_optional) kind = 'optional';
  else if (f.partOf) kind = `oneof ${f.partOf.name}`;
  return kind ? [f.name, f.id, type, kind] : [f.name, f.id, type];
}

function allTypes(root: protobuf.Root): Map<string, protobuf.Type | protobuf.Enum> {
  const out = new Map<string, protobuf.Type | protobuf.Enum>();
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const n of ns.nestedArray) {
      if (n instanceof protobuf.Type || n instanceof protobuf.Enum) out.set(bare(n.fullName), n);
      if (n instanceof protobuf.Namespace || n instanceof protobuf.Type) walk(n);
    }
  };
  walk(root);
  for (const k of [...out.keys()]) if (k.startsWith('google.')) out.delete(k);
  return out;
}

const byId = (a: Field, b: Field) => a[1] - b[1];
const norm = (fields: Field[]): Field[] => fields.map((f): Field => (f[3] ? f : [f[0], f[1], f[2]])).sort(byId);

const flatReserved = (reserved: Array<number[] | string> | undefined) =>
  (reserved ?? []).flatMap((r): Array<number | string | number[]> => (typeof r === 'string' ? [r] : r[0] === r[1] ? [r[0]] : [r]));

export interface ContractTarget {
  /** Package → the file that must define it (the same split as upstream). */
  packageFiles: Record<string, string>;
  service: string;
}

/** Tables written with the `openshell.` prefix, moved to another (`ryno.`). */
export function renamePrefix(tables: ContractTables, prefix: string): ContractTables {
  const swap = (s: string) => s.replace(/^openshell\./, `${prefix}.`);
  const swapKeys = <T>(record: Record<string, T>, value: (v: T) => T = (v) => v) =>
    Object.fromEntries(Object.entries(record).map(([k, v]) => [swap(k), value(v)]));
  return {
    rpcs: swapKeys(tables.rpcs, ([req, res, stream]) => [swap(req), swap(res), stream]),
    messages: swapKeys(tables.messages, (fields) =>
      fields.map(([n, id, type, kind]): Field => (kind ? [n, id, swap(type), kind] : [n, id, swap(type)])),
    ),
    enums: swapKeys(tables.enums),
    reserved: swapKeys(tables.reserved),
  };
}

export function contractDiff(root: protobuf.Root, tables: ContractTables, target: ContractTarget): string[] {
  const diffs: string[] = [];
  const types = allTypes(root);
  const expected = new Set([...Object.keys(tables.messages), ...Object.keys(tables.enums)]);
  for (const name of expected) if (!types.has(name)) diffs.push(`missing type ${name}`);
  for (const name of types.keys()) if (!expected.has(name)) diffs.push(`unexpected type ${name}`);

  for (const [name, t] of types) {
    const pkg = name.slice(0, name.lastIndexOf('.'));
    const file = t.filename ? path.basename(t.filename) : undefined;
    if (target.packageFiles[pkg] !== file) diffs.push(`${name}: in ${file}, expected ${target.packageFiles[pkg]}`);
  }

  for (const [name, want] of Object.entries(tables.messages)) {
    const t = types.get(name);
    if (!(t instanceof protobuf.Type)) continue;
    const got = norm(t.fieldsArray.map(describeField));
    const exp = norm(want);
    if (JSON.stringify(got) !== JSON.stringify(exp))
      diffs.push(`${name} fields:\n  got      ${JSON.stringify(got)}\n  expected ${JSON.stringify(exp)}`);
    // Oneof groups (real and proto3-optional synthetic ones) follow from the fields.
    const wantOneofs = new Set<string>();
    for (const [fname, , , kind] of want) {
      if (kind === 'optional') wantOneofs.add(`_${fname}`);
      else if (kind?.startsWith('oneof ')) wantOneofs.add(kind.slice(6));
    }
    const gotOneofs = t.oneofsArray.map((o) => o.name).sort();
    if (JSON.stringify(gotOneofs) !== JSON.stringify([...wantOneofs].sort()))
      diffs.push(`${name} oneofs: got ${gotOneofs}, expected ${[...wantOneofs].sort()}`);
    const gotReserved = flatReserved(t.reserved);
    if (JSON.stringify(gotReserved) !== JSON.stringify(tables.reserved[name] ?? []))
      diffs.push(`${name} reserved: got ${JSON.stringify(gotReserved)}`);
  }

  for (const [name, want] of Object.entries(tables.enums)) {
    const t = types.get(name);
    if (!(t instanceof protobuf.Enum)) continue;
    const sort = (v: Record<string, number>) => JSON.stringify(Object.entries(v).sort());
    if (sort(t.values) !== sort(want)) diffs.push(`${name} values: got ${sort(t.values)}`);
    const gotReserved = flatReserved(t.reserved);
    if (JSON.stringify(gotReserved) !== JSON.stringify(tables.reserved[name] ?? []))
      diffs.push(`${name} reserved: got ${JSON.stringify(gotReserved)}`);
  }

  const svc = root.lookupService(target.service);
  const gotRpcs = Object.keys(svc.methods).sort();
  if (JSON.stringify(gotRpcs) !== JSON.stringify(Object.keys(tables.rpcs).sort())) diffs.push(`rpcs: got ${gotRpcs}`);
  for (const [name, [req, res, stream]] of Object.entries(tables.rpcs)) {
    const m = svc.methods[name];
    if (!m) continue;
    m.resolve();
    const got = [bare(m.resolvedRequestType!.fullName), bare(m.resolvedResponseType!.fullName), !!m.responseStream, !!m.requestStream];
    if (JSON.stringify(got) !== JSON.stringify([req, res, stream, false])) diffs.push(`rpc ${name}: got ${JSON.stringify(got)}`);
  }
  return diffs;
}

/** Every type a table names is itself in the tables (or a scalar / well-known type). */
export function danglingTypes(tables: ContractTables): string[] {
  const known = new Set([...Object.keys(tables.messages), ...Object.keys(tables.enums)]);
  const scalars = new Set([
    'double',
    'float',
    'int32',
    'int64',
    'uint32',
    'uint64',
    'sint32',
    'sint64',
    'fixed32',
    'fixed64',
    'sfixed32',
    'sfixed64',
    'bool',
    'string',
    'bytes',
  ]);
  const referenced = [
    ...Object.values(tables.messages)
      .flat()
      .map((f) => f[2]),
    ...Object.values(tables.rpcs).map(([request]) => request),
    ...Object.values(tables.rpcs).map(([, response]) => response),
  ];
  return referenced.filter((t) => !known.has(t) && !scalars.has(t) && !t.startsWith('google.protobuf.'));
}
