// One benchmark result and how it is judged against its goal.

/** How a scenario's goal is judged. */
export type Goal =
  | { readonly kind: "ratio-at-least"; readonly value: number }
  | { readonly kind: "ratio-at-most"; readonly value: number }
  | { readonly kind: "ours-below"; readonly value: number }
  | { readonly kind: "report" };

/** A row of the summary (and of `bench-results.json`). */
export interface BenchResult {
  readonly name: string;
  readonly ours: number;
  readonly baseline: number;
  readonly unit: string;
  /** ours / baseline. */
  readonly ratio: number;
  /** The goal as text, e.g. `≥ 100×`. */
  readonly goal: string;
  /** Whether the goal is met (`true` for report-only rows). */
  readonly pass: boolean;
  /** Extra facts (sizes, lost edits, …). */
  readonly notes?: string;
}

/** Builds a result row from raw figures and a goal. */
export function judge(
  name: string,
  ours: number,
  baseline: number,
  unit: string,
  goal: Goal,
  notes?: string,
): BenchResult {
  const ratio = baseline === 0 ? Number.POSITIVE_INFINITY : ours / baseline;
  let text: string;
  let pass: boolean;
  switch (goal.kind) {
    case "ratio-at-least":
      text = `≥ ${goal.value}×`;
      pass = ratio >= goal.value;
      break;
    case "ratio-at-most":
      text = `≤ ${goal.value}×`;
      pass = ratio <= goal.value;
      break;
    case "ours-below":
      text = `< ${goal.value} ${unit}`;
      pass = ours < goal.value;
      break;
    default:
      text = "report";
      pass = true;
  }
  return { name, ours, baseline, unit, ratio, goal: text, pass, ...(notes ? { notes } : {}) };
}

/** Formats results as a fixed-width table. */
export function formatTable(results: readonly BenchResult[]): string {
  const fmt = (n: number) =>
    !Number.isFinite(n) ? "∞" : n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(n >= 10 ? 1 : 2);
  const rows = results.map((r) => [
    r.name,
    fmt(r.ours),
    fmt(r.baseline),
    r.unit,
    `${fmt(r.ratio)}×`,
    r.goal,
    r.pass ? "pass" : "MISS",
    r.notes ?? "",
  ]);
  const head = ["scenario", "ours", "baseline", "unit", "ratio", "goal", "", "notes"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}
