// The ConfigurationError a piece of configuration code throws, for tests that look at its message and field.
import { ConfigurationError } from "@lattice-cache/core";
import { expect } from "vitest";

/** The `ConfigurationError` `run` throws; fails the test when it throws anything else or nothing. */
export function configError(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error("expected a ConfigurationError");
}
