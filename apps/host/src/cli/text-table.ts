// Plain-text tables and key/value blocks for human output (`--json` prints the wire shapes instead).

/** Left-aligned columns separated by two spaces, with a header row. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** `name  value` lines with aligned values. */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([name]) => name.length));
  return fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join("\n");
}

/** `k=v, k2=v2` for a string map (link definition values). */
export function formatValues(values: Readonly<Record<string, string>>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}
