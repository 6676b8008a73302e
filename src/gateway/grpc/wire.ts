// Decoded protobuf messages as proto-loader gives them (keepCase, longs as strings, enums as names,
// defaults filled, oneofs named) and small readers that never trust their shape: a gateway is a
// remote party, and a field of the wrong type reads as its default instead of throwing mid-render.

export type Wire = { [field: string]: unknown };

export const isWire = (value: unknown): value is Wire => typeof value === 'object' && value !== null && !Array.isArray(value);

export function obj(message: unknown, field: string): Wire {
  const value = isWire(message) ? message[field] : undefined;
  return isWire(value) ? value : {};
}

export function optObj(message: unknown, field: string): Wire | undefined {
  const value = isWire(message) ? message[field] : undefined;
  return isWire(value) ? value : undefined;
}

export function str(message: unknown, field: string): string {
  const value = isWire(message) ? message[field] : undefined;
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

export function num(message: unknown, field: string): number {
  const value = isWire(message) ? message[field] : undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : 0;
  return Number.isFinite(n) ? n : 0;
}

export function bool(message: unknown, field: string): boolean {
  return isWire(message) && message[field] === true;
}

export function list(message: unknown, field: string): Wire[] {
  const value = isWire(message) ? message[field] : undefined;
  return Array.isArray(value) ? value.filter(isWire) : [];
}

export function strings(message: unknown, field: string): string[] {
  const value = isWire(message) ? message[field] : undefined;
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function stringMap(message: unknown, field: string): Record<string, string> {
  const value = obj(message, field);
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** google.protobuf.Timestamp → ms since the epoch (0 when absent: upstream's "absence" for times). */
export function timestampMs(message: unknown, field: string): number {
  const ts = optObj(message, field);
  if (!ts) return 0;
  return num(ts, 'seconds') * 1000 + Math.floor(num(ts, 'nanos') / 1e6);
}

/** ms since the epoch → google.protobuf.Timestamp; 0/undefined stays absent (0.1.x keeps absence apart from zero). */
export function timestamp(ms: number | undefined): Wire | undefined {
  if (!ms) return undefined;
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

/** The selected member of a proto-loader oneof (`{ payload: 'log', log: {...} }` → ['log', {...}]). */
export function oneof(message: unknown, group: string): [string, Wire] | undefined {
  if (!isWire(message)) return undefined;
  const which = message[group];
  if (typeof which !== 'string') return undefined;
  const value = message[which];
  return [which, isWire(value) ? value : {}];
}
