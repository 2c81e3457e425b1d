// The README's configuration reference stays true: its settings table and global-flags line are exactly what
// the schema renders, and every environment variable and setting flag it mentions anywhere is one the schema
// has (and the reverse). After changing a setting: LATTICE_UPDATE_README=1 pnpm exec vitest run readme-config
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as publicApi from "../index.js";
import {
  environmentVariables,
  globalFlagsLine,
  settingFlags,
  settingsTable,
} from "../test-support/settings-reference.test-helpers.js";
import { CONFIG_FILE_VARIABLE } from "./config-env.js";
import { HOST_CONFIG_SCHEMA } from "./host-config.js";

const README = fileURLToPath(new URL("../../README.md", import.meta.url));
/** Environment variables that are not settings, and the package's exports that look like one (`LATTICE_CACHE`). */
/** Switches of the test suite itself, which the README may name: they are no host settings. */
const TEST_SWITCHES = ["LATTICE_UPDATE_README", "LATTICE_UPDATE_SCREENSHOTS"];
const OTHER_VARIABLES = [CONFIG_FILE_VARIABLE, ...TEST_SWITCHES, ...Object.keys(publicApi)];

/** The generated blocks: marker name → content. */
const BLOCKS: Record<string, string> = {
  "global-flags": globalFlagsLine(HOST_CONFIG_SCHEMA),
  "settings-table": settingsTable(HOST_CONFIG_SCHEMA),
};

function block(text: string, name: string): { start: number; end: number; content: string } {
  const open = `<!-- ${name}: generated from the config schema (src/config/readme-config.test.ts) -->\n`;
  const close = `\n<!-- /${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close, start);
  if (start < 0 || end < 0) throw new Error(`README.md has no ${name} block (${JSON.stringify(open)})`);
  return { start: start + open.length, end, content: text.slice(start + open.length, end) };
}

describe("README.md: the configuration reference", () => {
  it("holds the settings table and the global flags as the schema renders them", () => {
    let text = readFileSync(README, "utf8");
    if (process.env.LATTICE_UPDATE_README === "1") {
      for (const [name, content] of Object.entries(BLOCKS)) {
        const { start, end } = block(text, name);
        text = text.slice(0, start) + content + text.slice(end);
      }
      writeFileSync(README, text);
    }
    for (const [name, content] of Object.entries(BLOCKS)) {
      expect(block(text, name).content, `README ${name} (LATTICE_UPDATE_README=1 rewrites it)`).toBe(content);
    }
  });

  it("names every environment variable of the schema, and no other", () => {
    const text = readFileSync(README, "utf8");
    const mentioned = new Set(text.match(/\b(?:LATTICE|WASMCLOUD)_[A-Z0-9_]*[A-Z0-9]\b/g));
    const known = environmentVariables(HOST_CONFIG_SCHEMA);
    expect([...mentioned].filter((v) => !known.includes(v) && !OTHER_VARIABLES.includes(v))).toEqual([]);
    expect(known.filter((v) => !mentioned.has(v))).toEqual([]);
  });

  it("names every setting flag of the schema, and the settings table names no other", () => {
    const text = readFileSync(README, "utf8");
    const flags = settingFlags(HOST_CONFIG_SCHEMA);
    const table = block(text, "settings-table").content;
    const inTable = new Set(
      table.match(/`(?:bridge )?(--[a-z][a-z0-9-]*)`/g)?.map((f) => f.replace(/`|bridge /g, "")),
    );
    expect([...inTable].filter((f) => !flags.includes(f))).toEqual([]);
    expect(flags.filter((f) => !text.includes(f))).toEqual([]);
  });
});
