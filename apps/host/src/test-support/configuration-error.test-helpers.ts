// The ConfigurationError a piece of configuration handling throws, for tests that read its message and field.
import { ConfigurationError } from "@lattice-cache/core";
import { expect } from "vitest";

/** The `ConfigurationError` `run` throws; fails the test when it throws nothing or something else. */
export function configError(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error("expected a ConfigurationError");
}
