// A request's header fields as the decision reads them (DecisionRequest.headers): names as sent, a
// repeated field as an array of its values in order. Built only for requests decided on the body.

/** From llhttp's flat [name, value, name, value, …] list. A null-prototype object: any name is a plain key. */
export function headerRecord(flat: readonly string[]): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = Object.create(null);
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i];
    const value = flat[i + 1];
    const seen = record[name];
    if (seen === undefined) record[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else record[name] = [seen, value];
  }
  return record;
}
