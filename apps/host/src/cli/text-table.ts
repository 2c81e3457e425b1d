// Plain-text tables and key/value blocks for human output (`--json` prints the wire shapes instead). Every
// cell is a value someone else may have written: its control characters, newlines included, are escaped
// (terminal-text.ts), so a cell is one line and cannot act on the terminal.
import { escapeTerminalValue } from "./terminal-text.js";

/** Left-aligned columns separated by two spaces, with a header row. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const shown = rows.map((r) => r.map(escapeTerminalValue));
  const widths = headers.map((h, i) => Math.max(h.length, ...shown.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...shown.map(line)].join("\n");
}

/** `name  value` lines with aligned values. */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([name]) => name.length));
  return fields.map(([name, value]) => `${name.padEnd(width)}  ${escapeTerminalValue(value)}`).join("\n");
}

/** `k=v, k2=v2` for a string map (link definition values). */
export function formatValues(values: Readonly<Record<string, string>>): string {
  return Object.entries(values)
    .map(([k, v]) => `${escapeTerminalValue(k)}=${escapeTerminalValue(v)}`)
    .join(", ");
}
