// A setting value as an operator types it, checked against the type the gateway reported for the key
// before anything is sent (the adapter checks again on its side): bools the lenient way upstream's TUI
// parses them, 64-bit integers, strings from an allowed list when there is one. Pure; imports nothing.

const TRUE = ['1', 'true', 'yes', 'y', 'on'];
const FALSE = ['0', 'false', 'no', 'n', 'off'];
const INT64_MAX = 2n ** 63n - 1n;

export interface SettingSchema {
  key: string;
  type?: 'bool' | 'int' | 'string';
  allowed?: readonly string[];
}

/** The value to send (normalised: `true`, `42`), or why it is refused. */
export function checkSettingInput(schema: SettingSchema, raw: string): { value: string } | { error: string } {
  const text = raw.trim();
  const { key, type } = schema;
  if (text === '') return { error: `${key}: type a value (d deletes the setting)` };
  switch (type) {
    case 'bool': {
      const v = text.toLowerCase();
      if (TRUE.includes(v)) return { value: 'true' };
      if (FALSE.includes(v)) return { value: 'false' };
      return { error: `${key} takes a bool (true/false, yes/no, on/off, 1/0), got '${raw}'` };
    }
    case 'int': {
      if (!/^-?\d{1,19}$/.test(text)) return { error: `${key} takes a 64-bit integer, got '${raw}'` };
      const n = BigInt(text);
      if (n > INT64_MAX || n < -INT64_MAX - 1n) return { error: `${key} takes a 64-bit integer, got '${raw}'` };
      return { value: n.toString() };
    }
    case 'string':
      if (schema.allowed && !schema.allowed.includes(text))
        return { error: `${key} must be one of ${schema.allowed.join(', ')}, got '${raw}'` };
      return { value: text };
    case undefined:
      return { error: `${key}: the gateway does not say what type it takes, so it cannot be set from here` };
  }
}
