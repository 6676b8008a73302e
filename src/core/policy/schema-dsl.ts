// A tiny schema language for the YAML files we read. Each node says what shape a value must have;
// the walker (yaml-walk.ts) checks a YAML document against it and reports file:line:col issues.

export type Schema =
  | { kind: 'object'; fields: Record<string, Schema>; required?: string[]; what: string }
  | { kind: 'map'; values: Schema; what: string }
  | { kind: 'array'; items: Schema; what: string }
  | { kind: 'string'; oneOf?: readonly string[]; what: string }
  | { kind: 'int'; min: number; max: number; what: string }
  | { kind: 'bool'; what: string }
  | { kind: 'either'; options: Schema[]; what: string }
  | { kind: 'any'; what: string };

export const str = (what: string, oneOf?: readonly string[]): Schema => ({ kind: 'string', what, oneOf });
export const int = (what: string, min: number, max: number): Schema => ({ kind: 'int', what, min, max });
export const bool = (what: string): Schema => ({ kind: 'bool', what });
export const list = (items: Schema, what: string): Schema => ({ kind: 'array', items, what });
export const mapOf = (values: Schema, what: string): Schema => ({ kind: 'map', values, what });
export const any = (what: string): Schema => ({ kind: 'any', what });
export const either = (what: string, ...options: Schema[]): Schema => ({ kind: 'either', options, what });
export const obj = (what: string, fields: Record<string, Schema>, required: string[] = []): Schema => ({
  kind: 'object',
  what,
  fields,
  required,
});
