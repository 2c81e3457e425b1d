// One benchmark result and how it is judged against its goal.
import { percentile } from "./measure.js";

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

/** The `{name}.p50` and `{name}.p99` rows (ms) of a latency scenario from both sides' samples. */
export function latencyRows(
  name: string,
  ours: readonly number[],
  baseline: readonly number[],
  goals: { readonly p50: Goal; readonly p99: Goal },
  notes?: string,
): BenchResult[] {
  return ([50, 99] as const).map((p) =>
    judge(`${name}.p${p}`, percentile(ours, p), percentile(baseline, p), "ms", goals[`p${p}`], notes),
  );
}

/** Formats results as a fixed-width table. */
export function formatTable(results: readonly BenchResult[]): string {
  const fmt = (n: number) =>
    Number.isNaN(n)
      ? "n/a"
      : !Number.isFinite(n)
        ? "∞"
        : n >= 100
          ? Math.round(n).toLocaleString("en-US")
          : n.toFixed(n >= 10 ? 1 : 2);
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

/** A count as it appears in a scenario name: `20k`, `100k`, `1m`. */
export function sizeLabel(n: number): string {
  if (n >= 1_000_000 && n % 100_000 === 0) return `${n / 1_000_000}m`;
  return n >= 1000 ? `${Math.round(n / 1000)}k` : String(n);
}
