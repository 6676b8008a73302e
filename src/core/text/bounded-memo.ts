// Memoises a pure string function for the hot path, where the same inputs recur (the proxy audits the
// same denial reason and path thousands of times a second). Bounded: past `max` entries the oldest go,
// and long inputs (which rarely recur) are computed every time rather than held.
export function boundedMemo(compute: (input: string) => string, max = 512, maxInputLength = 512): (input: string) => string {
  const cache = new Map<string, string>();
  return (input) => {
    if (input.length > maxInputLength) return compute(input);
    let output = cache.get(input);
    if (output === undefined) {
      output = compute(input);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(input, output);
    }
    return output;
  };
}
