// Anything an agent controls (hosts, paths, binaries, log text) passes through here before it reaches a
// terminal: C0/C1 control characters (ESC starts every terminal escape sequence) and Unicode bidi
// overrides are removed, so an agent cannot move the cursor, recolour, or reorder the operator's screen.

// C0 controls except tab, DEL, C1 controls, bidi embeddings/overrides/isolates, and the line/paragraph separators.
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

export function sanitizeForTerminal(text: string): string {
  return text.replace(UNSAFE, '\uFFFD');
}

/** Same, but keeps newlines (for multi-line log text and YAML previews). */
export function sanitizeMultiline(text: string): string {
  return text.split('\n').map(sanitizeForTerminal).join('\n');
}
