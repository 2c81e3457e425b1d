// The `pretty` log format: each pino JSON record as one line for people — ISO time, level name, message,
// then the record's fields as key=value — and an error's stack indented below it. Control characters in
// logged values are escaped as everywhere the CLI writes for a terminal.
import { writeSync } from "node:fs";
import { escapeTerminalValue } from "../cli/terminal-text.js";

/** pino's numeric levels by name. */
const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/** Record keys the line shows in its own place (or not at all: `name` is always `lattice`). */
const PLACED_KEYS = new Set(["time", "level", "msg", "name", "pid", "hostname"]);

/** A value printed bare (no quotes): no blanks, quotes, `=` or anything a terminal acts on. */
const BARE_VALUE = /^[\x21-\x7e]+$/;

/** `value` as the right-hand side of `key=value`: bare when it can be, else JSON. */
function fieldValue(value: unknown): string {
  if (typeof value === "string") {
    return BARE_VALUE.test(value) && !/["=]/.test(value) ? value : escapeTerminalValue(JSON.stringify(value));
  }
  return escapeTerminalValue(JSON.stringify(value) ?? String(value));
}

/** The `key=value` pairs of `record` below `prefix`, nested objects flattened with dots; stacks collected. */
function fields(record: Record<string, unknown>, prefix: string, stacks: string[]): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (prefix === "" && PLACED_KEYS.has(key)) continue;
    const name = `${prefix}${escapeTerminalValue(key)}`;
    if (key === "stack" && typeof value === "string") stacks.push(value);
    else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      out.push(...fields(value as Record<string, unknown>, `${name}.`, stacks));
    } else out.push(`${name}=${fieldValue(value)}`);
  }
  return out;
}

/**
 * One pino record (its parsed JSON) as a `pretty` line, ending in a newline:
 * `2026-12-07T18:40:03.123Z INFO  host started url=http://127.0.0.1:7411`, each stack line below it indented.
 */
export function formatPrettyRecord(record: Record<string, unknown>): string {
  const time = typeof record.time === "number" ? new Date(record.time).toISOString() : "-";
  const level = (typeof record.level === "number" ? LEVEL_NAMES[record.level] : undefined) ?? "LOG";
  const message = typeof record.msg === "string" ? escapeTerminalValue(record.msg) : "";
  const stacks: string[] = [];
  const head = [time, level.padEnd(5), message, ...fields(record, "", stacks)].filter((p) => p !== "");
  const stackLines = stacks.flatMap((s) => s.split("\n").map((line) => `    ${escapeTerminalValue(line)}`));
  return `${[head.join(" "), ...stackLines].join("\n")}\n`;
}

/** A pino destination writing each record as a {@link formatPrettyRecord} line to `fd`, synchronously. */
export function prettyLogDestination(fd: number): { write(line: string): void } {
  return {
    write(line: string) {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        writeSync(fd, line);
        return;
      }
      writeSync(fd, formatPrettyRecord(record as Record<string, unknown>));
    },
  };
}
