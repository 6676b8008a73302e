// The schema check of yaml-walk.ts for values read by fast-yaml.ts, for the happy path only: it yields
// exactly the value the full walk would build, or FAIL at the first thing the walk would report (the
// caller then runs the full parser, which says what and where). Same node budget and depth bound.
import { EMPTY, type FastValue } from './fast-yaml.js';
import type { Schema } from './schema-dsl.js';
import { MAX_DEPTH, MAX_NODES } from './yaml-walk.js';

export const FAIL = Symbol('fail');

export function shapeFastValue(value: FastValue, schema: Schema): unknown {
  const budget = { nodes: 0 };
  return shape(value, schema, 0, budget);
}

function plainAny(value: FastValue): unknown {
  if (value === EMPTY) return null;
  if (Array.isArray(value)) return value.map(plainAny);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plainAny(v);
    return out;
  }
  return value;
}

function shape(value: FastValue, schema: Schema, depth: number, budget: { nodes: number }): unknown {
  if (++budget.nodes > MAX_NODES || depth > MAX_DEPTH) return FAIL;
  switch (schema.kind) {
    case 'any':
      return plainAny(value);
    case 'string':
      if (typeof value === 'string') return schema.oneOf && !schema.oneOf.includes(value) ? FAIL : value;
      if (typeof value === 'number' || typeof value === 'boolean') {
        const text = String(value);
        return schema.oneOf && !schema.oneOf.includes(text) ? FAIL : text;
      }
      return FAIL;
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= schema.min && value <= schema.max ? value : FAIL;
    case 'bool':
      return typeof value === 'boolean' ? value : FAIL;
    case 'either': {
      for (const option of schema.options) {
        const out = shape(value, option, depth, budget);
        if (out !== FAIL) return out;
      }
      return FAIL;
    }
    case 'array': {
      if (value === EMPTY) return [];
      if (!Array.isArray(value)) return FAIL;
      const out: unknown[] = [];
      for (const item of value) {
        const v = shape(item, schema.items, depth + 1, budget);
        if (v === FAIL) return FAIL;
        out.push(v);
      }
      return out;
    }
    case 'map':
    case 'object': {
      if (schema.kind === 'object' && (value === EMPTY || value === null)) return undefined; // absent optional section
      if (schema.kind === 'map' && value === EMPTY) return {};
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return FAIL;
      const out: Record<string, unknown> = {};
      for (const [name, child] of Object.entries(value)) {
        const field = schema.kind === 'object' ? schema.fields[name] : schema.values;
        if (!field) return FAIL;
        const v = shape(child, field, depth + 1, budget);
        if (v === FAIL) return FAIL;
        out[name] = v;
      }
      if (schema.kind === 'object') for (const required of schema.required ?? []) if (!(required in out)) return FAIL;
      return out;
    }
  }
}
