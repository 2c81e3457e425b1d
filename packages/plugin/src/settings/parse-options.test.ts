import { ConfigurationError } from "@lattice-cache/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { configSection } from "./config-section.js";
import { prefixSetting } from "./lattice-settings.js";
import { mapping, setting } from "./setting.js";
import { parseOptions } from "./setting-problem.js";
import { integer, url } from "./setting-types.js";

const SETTINGS = {
  url: setting(url(["redis:", "rediss:"]).default("redis://127.0.0.1:6379"), {
    description: "server URL",
    env: "EXAMPLE_URL",
  }),
};
const SECTION = configSection("example", SETTINGS);
const OPTIONS = mapping({
  ...SETTINGS,
  prefix: prefixSetting(),
  timeoutMs: integer(1, 1000).default(500),
  logger: z.custom<object>().optional(),
});

function problemOf(options: unknown, section: Parameters<typeof parseOptions>[2]): ConfigurationError {
  try {
    parseOptions(OPTIONS, options, section);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error("expected a ConfigurationError");
}

describe("parseOptions", () => {
  it("returns the options with their defaults", () => {
    expect(parseOptions(OPTIONS, {}, SECTION)).toEqual({
      url: "redis://127.0.0.1:6379",
      prefix: "default",
      timeoutMs: 500,
    });
  });

  it("names every problem under the section when given its key", () => {
    const error = problemOf({ url: "http://x", timeoutMs: 0 }, "example");
    expect(error.message.split("\n")).toEqual([
      'example.url URL "http://x" has scheme http; allowed values: redis://, rediss://',
      "example.timeoutMs must be an integer from 1 to 1000 (got 0)",
    ]);
    expect(error.field).toBe("example.url");
  });

  it("given the section, names its settings under its key and any other option by its own name", () => {
    const error = problemOf({ url: "http://x", prefix: "a.b", timeoutMs: 0, colour: "red" }, SECTION);
    expect(error.message.split("\n")).toEqual([
      'example.url URL "http://x" has scheme http; allowed values: redis://, rediss://',
      'prefix may only contain letters, digits, _ and - (got "a.b")',
      "timeoutMs must be an integer from 1 to 1000 (got 0)",
      "colour is not a known option",
    ]);
    expect(error.field).toBe("example.url");
  });

  it("names options that are no mapping at all `options`", () => {
    expect(problemOf(5, SECTION).message).toBe("options must be a mapping (got number 5)");
  });
});
