// The host's logger: pino, JSON lines on stderr (stdout is for command output), secrets redacted.
import { type Logger, pino } from "pino";
import type { LogLevel } from "../config/core-settings.js";

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

/** A pino logger writing synchronously to stderr (so nothing is lost when a CLI command exits). */
export function createHostLogger(level: LogLevel, bindings: Record<string, unknown> = {}): HostLogger {
  return pino(
    {
      name: "lattice",
      level,
      base: { pid: process.pid, ...bindings },
      redact: { paths: REDACTED_PATHS, censor: "***" },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
