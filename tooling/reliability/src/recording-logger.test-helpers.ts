// A core Logger that keeps every line as text, so tests can print a host's story on failure and scan
// everything a host said for leaked secrets.
import type { Logger } from "@lattice-cache/core";

/** One logged line, already rendered to text (errors with message, stack and cause chain). */
export interface LoggedLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly text: string;
}

/** A logger that records every line (debug included) of one host. */
export class RecordingLogger implements Logger {
  /** Everything logged so far, in order. */
  readonly lines: LoggedLine[] = [];

  /** @param label - printed in front of each line when `LATTICE_CHAOS_LOG` is set (live debugging) */
  constructor(readonly label: string) {}

  debug(obj: object, msg?: string): void {
    this.record("debug", obj, msg);
  }

  info(obj: object, msg?: string): void {
    this.record("info", obj, msg);
  }

  warn(obj: object, msg?: string): void {
    this.record("warn", obj, msg);
  }

  error(obj: object, msg?: string): void {
    this.record("error", obj, msg);
  }

  /** All lines as one text. */
  text(): string {
    return this.lines.map((line) => `${line.level} ${line.text}`).join("\n");
  }

  /** The last `count` lines at warn level or above, for failure messages. */
  tail(count = 15): string {
    return this.lines
      .filter((line) => line.level === "warn" || line.level === "error")
      .slice(-count)
      .map((line) => `  [${this.label}] ${line.level} ${line.text}`)
      .join("\n");
  }

  private record(level: LoggedLine["level"], obj: object, msg: string | undefined): void {
    const text = `${msg ?? ""} ${renderForScan(obj)}`;
    this.lines.push({ level, text });
    if (process.env["LATTICE_CHAOS_LOG"] && level !== "debug") {
      console.log(`[${this.label}] ${level} ${text}`);
    }
  }
}

/**
 * Renders any value as text, walking errors (message, stack, cause and own properties, which plain
 * `JSON.stringify` drops) and nested objects, so a secret anywhere inside shows up in the result.
 */
export function renderForScan(value: unknown): string {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== "object") {
      return typeof v === "bigint" || typeof v === "symbol" || typeof v === "function" ? String(v) : v;
    }
    if (seen.has(v) || depth > 8) return "[…]";
    seen.add(v);
    if (v instanceof Uint8Array) return Buffer.from(v).toString("utf8");
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
    const out: Record<string, unknown> = {};
    if (v instanceof Error) {
      out["name"] = v.name;
      out["message"] = v.message;
      out["stack"] = v.stack;
      if (v.cause !== undefined) out["cause"] = walk(v.cause, depth + 1);
    }
    for (const key of Object.keys(v)) out[key] = walk((v as Record<string, unknown>)[key], depth + 1);
    return out;
  };
  try {
    return JSON.stringify(walk(value, 0)) ?? String(value);
  } catch {
    return String(value);
  }
}
