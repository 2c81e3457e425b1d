// A backend library parses its options with the schema that is also its host config section, and words a bad
// value as `lattice` does: `<section>.<path> <message>`, every problem on its own line.
import { ConfigurationError } from "@lattice-cache/core";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { parseOptions } from "./setting-problem.js";
import { mapping, setting } from "./setting.js";
import { choice, integer, url } from "./setting-types.js";

const schema = mapping({
  url: setting(url(["fake:"]).default("fake://127.0.0.1:1"), { description: "server URL" }),
  mode: setting(choice(["fast", "safe"] as const).default("safe"), { description: "mode" }),
  batch: setting(integer(1, 100).default(10), { description: "batch size" }),
  logger: z.custom<object>().optional(),
});

function problem(options: unknown): ConfigurationError {
  try {
    parseOptions(schema, options, "fake");
  } catch (error) {
    return error as ConfigurationError;
  }
  throw new Error("parseOptions accepted it");
}

describe("parseOptions: a library's options, validated by its settings schema", () => {
  it("applies the defaults and keeps programmatic members", () => {
    const logger = {};
    expect(parseOptions(schema, { logger }, "fake")).toEqual({
      url: "fake://127.0.0.1:1",
      mode: "safe",
      batch: 10,
      logger,
    });
    expect(parseOptions(schema, undefined, "fake").batch).toBe(10);
  });

  it("names the setting as a user writes it, with the allowed values, like lattice does", () => {
    const error = problem({ mode: "quick" });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.field).toBe("fake.mode");
    expect(error.allowed).toEqual(["fast", "safe"]);
    expect(error.message).toMatch(/^fake\.mode .+; allowed values: fast, safe$/);
  });

  it("reports every problem, one line each, and unknown options by name", () => {
    const error = problem({ url: "http://x", batch: 0, colour: "red" });
    const lines = error.message.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines.some((line) => line.startsWith("fake.url "))).toBe(true);
    expect(lines.some((line) => line.startsWith("fake.batch "))).toBe(true);
    expect(lines).toContain("fake.colour is not a known option");
  });
});
