// Collects everything a host lets out — log lines, error messages (with causes and stacks), describe(),
// status() — and checks that no secret appears in it.
import type { LatticeCache } from "@lattice-cache/core";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import { expect } from "vitest";
import { type RecordingLogger, renderForScan } from "./recording-logger.test-helpers.js";

/** Text a host has exposed, gathered over a test. */
export class ExposedText {
  private readonly parts: string[] = [];
  private readonly loggers: RecordingLogger[] = [];

  /** Includes everything `logger` records (read at check time, so later lines count too). */
  watchLogger(logger: RecordingLogger): void {
    this.loggers.push(logger);
  }

  /** Adds an error as text: name, message, stack and the whole cause chain. */
  addError(error: unknown): void {
    this.parts.push(renderForScan(error));
  }

  /** Adds what a backend and (when open) its cache report about themselves. */
  addReports(backend: LatticeBackend, cache?: LatticeCache): void {
    this.parts.push(renderForScan(backend.describe?.() ?? {}));
    if (cache !== undefined) this.parts.push(renderForScan(cache.status()));
  }

  /** All text so far. */
  text(): string {
    return [...this.parts, ...this.loggers.map((logger) => logger.text())].join("\n");
  }

  /** Fails if any of `secrets` occurs anywhere (each secret named by a label, never printed). */
  expectNoSecrets(secrets: Readonly<Record<string, string>>): void {
    const text = this.text();
    expect(text.length, "something was captured").toBeGreaterThan(0);
    const leaked = Object.entries(secrets)
      .filter(([, secret]) => secret.length > 0 && text.includes(secret))
      .map(([label]) => label);
    expect(leaked, "secrets found in logs, errors, describe() or status()").toEqual([]);
  }
}
