// Durations as people write them — `24h`, `90m`, `30s`, `1500ms`, `7d`, `1h30m`, or `0` — and back.

/** Milliseconds per unit. */
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const WHOLE = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

/** What a duration looks like, for messages. */
export const DURATION_EXAMPLES = "24h, 90m, 30s, 1500ms, 7d or 1h30m";

/**
 * The milliseconds `text` stands for (surrounding blanks ignored; `0` alone is zero), or undefined when it
 * is no duration: a number needs a unit, so `5` is refused rather than guessed.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "0") return 0;
  if (!WHOLE.test(trimmed)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART))
    ms += Number(amount) * (UNITS[unit as string] as number);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** `ms` in the largest units that write it exactly: 86400000 → `24h`, 5400000 → `1h30m`, 1500 → `1500ms`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  if (ms % 1000 !== 0) return `${ms}ms`;
  let rest = ms;
  let text = "";
  for (const [unit, size] of [
    ["h", UNITS.h],
    ["m", UNITS.m],
    ["s", UNITS.s],
  ] as const) {
    const amount = Math.floor(rest / (size as number));
    if (amount > 0) text += `${amount}${unit}`;
    rest -= amount * (size as number);
  }
  return text;
}
