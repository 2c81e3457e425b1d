// The host's logger: pino on stderr (stdout is for command output) — JSON lines, or `pretty` lines for
// people — secrets redacted.
import { type Logger, pino } from "pino";
import type { LogFormat, LogLevel } from "../config/core-settings.js";
import { prettyLogDestination } from "./pretty-log.js";

/** The logger type the container hands out (pino's). */
export type HostLogger = Logger;

/** Paths pino redacts wherever they appear in a logged object, in case a config or an error carries them. */
const REDACTED_PATHS = [
  "password",
  "token",
  "nkeySeed",
  "*.password",
  "*.token",
  "*.nkeySeed",
  "*.auth.password",
  "*.auth.token",
  "*.auth.nkeySeed",
  "config.nats.auth.*",
  "config.redis.password",
];

/**
 * A pino logger writing synchronously to stderr (so nothing is lost when a CLI command exits), as JSON lines
 * or, with `format` `pretty`, as lines for people (see `pretty-log.ts`).
 */
export function createHostLogger(
  level: LogLevel,
  format: LogFormat = "json",
  bindings: Record<string, unknown> = {},
): HostLogger {
  return pino(
    {
      name: "lattice",
      level,
      base: { pid: process.pid, ...bindings },
      redact: { paths: REDACTED_PATHS, censor: "***" },
    },
    format === "pretty" ? prettyLogDestination(2) : pino.destination({ fd: 2, sync: true }),
  );
}
