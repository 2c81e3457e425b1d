import { BackendUnavailableError, ConfigurationError, MemoryBackend } from "@lattice-cache/core";
import { defineBackendPlugin } from "@lattice-cache/plugin";
import { describe, expect, it } from "vitest";
import { BackendRegistry } from "../composition/backend-registry.js";
import { loadConfig } from "../config/load-config.js";
import { OperationalError } from "./cli-errors.js";
import { EXIT_CODES, exitCodeOf } from "./exit-codes.js";
import { describeOpenFailure } from "./open-failure.js";

/** What a backend throws when the server it found cannot serve it (like a NATS server without JetStream). */
class ServerWithoutFeatureError extends ConfigurationError {}

const registry = new BackendRegistry().registerBackend(
  defineBackendPlugin({
    name: "picky",
    description: "a backend whose plugin words one error of its own",
    create: () => new MemoryBackend(),
    target: () => "the picky server",
    describeOpenFailure: (error) =>
      error instanceof ServerWithoutFeatureError
        ? { message: "the picky server has no feature X", fix: "start it with --feature-x" }
        : undefined,
  }),
);
const config = loadConfig({ env: {}, backends: registry.names, sections: registry.configSections });

describe("an open failure as the user reads it", () => {
  it("in the plugin's words, with its fix, as an operational error (exit code 1) when the plugin knows it", () => {
    const error = new ServerWithoutFeatureError("feature X missing", { field: "picky" });
    const described = describeOpenFailure(error, registry, config);
    expect(described).toBeInstanceOf(OperationalError);
    expect(described.message).toBe("the picky server has no feature X; start it with --feature-x");
    expect(described.cause).toBe(error);
    expect(exitCodeOf(described)).toBe(EXIT_CODES.failure);
    // Unworded, the same error is the user's configuration: exit code 2.
    expect(exitCodeOf(error)).toBe(EXIT_CODES.usage);
  });

  it("by its kind and where the backend connects when the plugin does not know it", () => {
    const unreachable = new BackendUnavailableError("picky", "connection refused");
    expect(describeOpenFailure(unreachable, registry, config).message).toMatch(
      /^cannot reach the picky server: .*connection refused/,
    );
    const input = new ConfigurationError("bad option", { field: "picky.x" });
    expect(describeOpenFailure(input, registry, config)).toBe(input);
  });
});
