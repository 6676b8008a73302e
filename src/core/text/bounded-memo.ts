// Memoises a pure function of a string for the hot path, where the same inputs recur (the proxy audits
// the same denial reason and path, and classifies the same addresses, thousands of times a second).
// Bounded: past `max` entries the oldest go, and long inputs (which rarely recur) are computed every time.
export function boundedMemo<T>(compute: (input: string) => T, max = 512, maxInputLength = 512): (input: string) => T {
  const cache = new Map<string, T>();
  return (input) => {
    if (input.length > maxInputLength) return compute(input);
    if (cache.has(input)) return cache.get(input) as T;
    const output = compute(input);
    if (cache.size >= max) cache.delete(cache.keys().next().value!);
    cache.set(input, output);
    return output;
  };
}
