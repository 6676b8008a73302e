// The clipboard as a terminal offers it: OSC 52 ("set the selection to this base64 text"), which reaches
// the operator's own terminal through ssh and tmux (with tmux's set-clipboard on), as upstream's TUI does.
// Pure: the binding hook writes the sequence to the terminal.

/** OSC 52 ; c (the clipboard) ; base64 ; BEL. */
export function osc52(text: string): string {
  return `\u001b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\u0007`;
}
