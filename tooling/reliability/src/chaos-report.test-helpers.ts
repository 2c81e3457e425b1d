// Measured figures of each scenario: one `[chaos] …` line on stdout, and a JSON line in
// .test-results/chaos-figures.jsonl so docs/reliability.md can be refreshed from a run.
import { appendFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const RESULTS_DIR = fileURLToPath(new URL("../.test-results/", import.meta.url));

/** Figures of one scenario: durations in ms, counts, flags. */
export type Figures = Readonly<Record<string, number | string | boolean | undefined>>;

/** `4.2 s` from milliseconds. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Prints `[chaos] <scenario>: <summary>` and records the figures. */
export function reportScenario(scenario: string, summary: string, figures: Figures): void {
  console.log(`[chaos] ${scenario}: ${summary}`);
  try {
    mkdirSync(RESULTS_DIR, { recursive: true });
    appendFileSync(
      `${RESULTS_DIR}chaos-figures.jsonl`,
      `${JSON.stringify({ scenario, summary, at: new Date().toISOString(), ...figures })}\n`,
    );
  } catch {
    // The figures are a convenience for the docs; a read-only checkout must not fail the scenario.
  }
}

/** Milliseconds since `start`. */
export function since(start: number): number {
  return Date.now() - start;
}

/** Environment override of a duration, e.g. `LATTICE_CHAOS_CUT_MS`. */
export function envMs(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a number of milliseconds (got ${raw})`);
  return value;
}
