// What the CLI writes reaches a terminal, and much of it was written by other processes: values, keys, the
// status answers of other hosts, server messages. A terminal acts on control characters — an ESC sequence
// can erase a SPLIT BRAIN line or write the clipboard (OSC 52), a bidi override can make text read
// backwards — so they are shown as visible escapes instead, spelled as JSON spells them (`\u001b`, `\r`).
// Because the spelling is JSON's, JSON output passed through here keeps every value exact.

/** The short escapes JSON has (and JSON.stringify writes); every other character gets `\uXXXX`. */
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\f": "\\f",
  "\r": "\\r",
};

/**
 * True for a character a terminal acts on rather than shows: the C0 controls (ESC, BEL, CR, backspace,
 * newline, tab…), DEL, the C1 controls U+0080–U+009F (U+009B is a one-character CSI), the line and paragraph
 * separators U+2028–U+2029, and the bidi embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069.
 */
function isTerminalControl(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/**
 * One value (a table cell, a key, a host id) as a terminal may show it: every control character
 * ({@link isTerminalControl}), the newline included, as a visible escape (`\u001b`, `\n`, `\u202e`). Other
 * text is unchanged.
 */
export function escapeTerminalValue(text: string): string {
  return escapeControls(text, false);
}

/**
 * Whole output — lines the CLI composed — as a terminal may show it: control characters escaped as in
 * {@link escapeTerminalValue}, its own newlines kept. Applied to JSON text it changes no value: JSON.stringify
 * already escapes C0 controls, and the rest can only stand inside strings, where their escapes decode to them.
 */
export function escapeTerminalOutput(text: string): string {
  return escapeControls(text, true);
}

function escapeControls(text: string, keepNewlines: boolean): string {
  let out: string | undefined;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!isTerminalControl(code) || (keepNewlines && code === 0x0a)) continue;
    out = (out ?? "") + text.slice(from, i) + visible(text[i] as string);
    from = i + 1;
  }
  return out === undefined ? text : out + text.slice(from);
}

/** `\u001b` for ESC, `\r` for CR: the character as JSON escapes it. */
function visible(char: string): string {
  return SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}
