// One benchmark result, its two baselines, and how it is judged against its goal.
import { percentile } from "./measure.js";

/** How a scenario's goal is judged (ratios are ours / the equal-work baseline). */
export type Goal =
  | { readonly kind: "ratio-at-least"; readonly value: number }
  | { readonly kind: "ratio-at-most"; readonly value: number }
  | { readonly kind: "ours-below"; readonly value: number }
  | { readonly kind: "report" };

/** A baseline's figure and one line on what it does. */
export interface Baseline {
  readonly value: number;
  readonly does: string;
}

/** A row of the summary (and of `bench-results.json`). */
export interface BenchResult {
  readonly name: string;
  readonly ours: number;
  /** The hand-rolled peer doing equal work: what a user would write with the raw client to get the same result. */
  readonly baseline: number;
  /** What the peer does, in one line. */
  readonly baselineDoes: string;
  /** ours / baseline: the ratio the goal is judged on. */
  readonly ratio: number;
  /** The raw client doing the minimum: the limit. */
  readonly bare: number;
  /** What the bare client does, in one line. */
  readonly bareDoes: string;
  /** ours / bare. */
  readonly bareRatio: number;
  readonly unit: string;
  /** The goal as text, e.g. `≥ 100×`. */
  readonly goal: string;
  /** Whether the goal is met (`true` for report-only rows). */
  readonly pass: boolean;
  /** Extra facts (sizes, lost edits, …). */
  readonly notes?: string;
}

/** What {@link judge} needs for one row. `bare` defaults to the baseline (where the peer is the minimum). */
export interface RowFigures {
  readonly name: string;
  readonly ours: number;
  readonly baseline: Baseline;
  readonly bare?: Baseline;
  readonly unit: string;
  readonly goal: Goal;
  readonly notes?: string;
}

const ratioOf = (ours: number, base: number) => (base === 0 ? Number.POSITIVE_INFINITY : ours / base);

/** The goal as text and whether `ratio` / `ours` meets it. */
function goalMet(goal: Goal, ours: number, ratio: number, unit: string): { text: string; pass: boolean } {
  switch (goal.kind) {
    case "ratio-at-least":
      return { text: `≥ ${goal.value}×`, pass: ratio >= goal.value };
    case "ratio-at-most":
      return { text: `≤ ${goal.value}×`, pass: ratio <= goal.value };
    case "ours-below":
      return { text: `< ${goal.value} ${unit}`, pass: ours < goal.value };
    default:
      return { text: "report", pass: true };
  }
}

/** Builds a result row from its figures and goal. */
export function judge(row: RowFigures): BenchResult {
  const bare = row.bare ?? { value: row.baseline.value, does: "the same as the baseline" };
  const ratio = ratioOf(row.ours, row.baseline.value);
  const { text, pass } = goalMet(row.goal, row.ours, ratio, row.unit);
  return {
    name: row.name,
    ours: row.ours,
    baseline: row.baseline.value,
    baselineDoes: row.baseline.does,
    ratio,
    bare: bare.value,
    bareDoes: bare.does,
    bareRatio: ratioOf(row.ours, bare.value),
    unit: row.unit,
    goal: text,
    pass,
    ...(row.notes ? { notes: row.notes } : {}),
  };
}

/** Latency samples (ms) of one side and what that side does. */
export interface Samples {
  readonly samples: readonly number[];
  readonly does: string;
}

/** The `{name}.p50` and `{name}.p99` rows (ms) of a latency scenario from each side's samples. */
export function latencyRows(
  name: string,
  ours: readonly number[],
  sides: { readonly baseline: Samples; readonly bare?: Samples },
  goals: { readonly p50: Goal; readonly p99: Goal },
  notes?: string,
): BenchResult[] {
  const at = (side: Samples, p: number): Baseline => ({
    value: percentile(side.samples, p),
    does: side.does,
  });
  return ([50, 99] as const).map((p) =>
    judge({
      name: `${name}.p${p}`,
      ours: percentile(ours, p),
      baseline: at(sides.baseline, p),
      ...(sides.bare ? { bare: at(sides.bare, p) } : {}),
      unit: "ms",
      goal: goals[`p${p}`],
      ...(notes ? { notes } : {}),
    }),
  );
}

/** A figure as the table shows it: ∞, n/a, thousands separators or 2–3 significant digits. */
function fmt(n: number): string {
  if (Number.isNaN(n)) return "n/a";
  if (!Number.isFinite(n)) return "∞";
  if (n >= 100) return Math.round(n).toLocaleString("en-US");
  return n.toFixed(n >= 10 ? 1 : 2);
}

/** Formats results as a fixed-width markdown table: both baselines and both ratios per row. */
export function formatTable(results: readonly BenchResult[]): string {
  const rows = results.map((r) => [
    r.name,
    fmt(r.ours),
    fmt(r.baseline),
    `${fmt(r.ratio)}×`,
    fmt(r.bare),
    `${fmt(r.bareRatio)}×`,
    r.unit,
    r.goal,
    r.pass ? "pass" : "MISS",
    r.notes ?? "",
  ]);
  const head = ["scenario", "ours", "baseline", "ratio", "bare", "bare ratio", "unit", "goal", "", "notes"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

/**
 * One markdown line per row on what its two baselines do; consecutive rows with the same baselines share a
 * line (`propagate.p50 / .p99`, `write.put.c1 / .c256`).
 */
export function formatBaselines(results: readonly BenchResult[]): string {
  const groups: { names: string[]; text: string }[] = [];
  for (const r of results) {
    const text = `baseline: ${r.baselineDoes}; bare: ${r.bareDoes}`;
    const last = groups.at(-1);
    if (last?.text === text) last.names.push(r.name);
    else groups.push({ names: [r.name], text });
  }
  return groups.map(({ names, text }) => `- **${joinNames(names)}** — ${text}`).join("\n");
}

/** `a.b.c1`, `a.b.c256` → `a.b.c1 / .c256`: later names without the dotted prefix they share with the first. */
function joinNames(names: readonly string[]): string {
  const [first = "", ...rest] = names;
  const stem = first.slice(0, first.lastIndexOf(".") + 1);
  return [first, ...rest.map((n) => (stem && n.startsWith(stem) ? n.slice(stem.length - 1) : n))].join(" / ");
}

/** A count as it appears in a scenario name: `20k`, `100k`, `1m`. */
export function sizeLabel(n: number): string {
  if (n >= 1_000_000 && n % 100_000 === 0) return `${n / 1_000_000}m`;
  return n >= 1000 ? `${Math.round(n / 1000)}k` : String(n);
}
