// The READMEs' command lines and exit codes are the CLI's: every `--flag` on a `lattice …` line (a code
// block line or an inline code span) is an option of that command or a global one, every exit code of the
// table is one of EXIT_CODES (and the reverse), and real runs through the built CLI exit as the table says.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { disposeAll, freePort, startNatsServer } from "@lattice-cache/test-harness";
import type { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { createDefaultBackendRegistry } from "../composition/builtin-backends.js";
import { cleanEnv, killAllLattice, runLattice } from "../test-support/lattice-process.test-helpers.js";
import { CliContext } from "./cli-context.js";
import { EXIT_CODES } from "./exit-codes.js";
import { buildProgram } from "./program.js";

const READMES = {
  "apps/host/README.md": fileURLToPath(new URL("../../README.md", import.meta.url)),
  "README.md": fileURLToPath(new URL("../../../../README.md", import.meta.url)),
};

afterAll(async () => {
  await killAllLattice();
  await disposeAll();
});

/** A `lattice …` command line a README shows: where, and the words after `lattice`. */
interface CommandLine {
  readonly where: string;
  readonly words: readonly string[];
}

/** Every `lattice …` line of a code block and every inline code span starting with `lattice `. */
function commandLines(name: string, text: string): CommandLine[] {
  const lines: CommandLine[] = [];
  let inBlock = false;
  text.split("\n").forEach((line, index) => {
    const where = `${name}:${index + 1}`;
    if (line.trimStart().startsWith("```")) {
      inBlock = !inBlock;
      return;
    }
    if (inBlock) {
      const match = /^\s*(?:\$ )?(?:pnpm |npx )?lattice\s+(.*)$/.exec(line);
      if (match) lines.push({ where, words: words((match[1] as string).replace(/\s#.*$/, "")) });
      return;
    }
    for (const span of line.matchAll(/`(?:pnpm )?lattice\s+([^`]+)`/g)) {
      lines.push({ where, words: words((span[1] as string).replace(/\\\|/g, "|")) });
    }
  });
  return lines;
}

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/** The command a line runs (its words that name subcommands) and the `--flags` it uses. */
function resolve(program: Command, line: CommandLine): { command: Command; flags: string[] } {
  let command = program;
  for (const word of line.words) {
    if (word.startsWith("-")) continue;
    const sub = command.commands.find((c) => c.name() === word);
    if (sub) command = sub;
    else if (command !== program) break;
  }
  const flags = line.words.flatMap((w) =>
    [...w.matchAll(/(?:^|[[(|])(--[a-z][a-z0-9-]*)/g)].map((m) => m[1] as string),
  );
  return { command, flags };
}

/** The options `command` accepts: its own, every ancestor's (the global flags), --help and --version. */
function acceptedOptions(command: Command): Set<string> {
  const accepted = new Set(["--help", "--version"]);
  for (let c: Command | null = command; c; c = c.parent) {
    for (const option of c.options) if (option.long) accepted.add(option.long);
  }
  return accepted;
}

describe("every --flag on a `lattice …` line of the READMEs is an option of that command", () => {
  const ctx = new CliContext(
    { stdout: () => {}, stderr: () => {}, env: {}, stdin: () => "" },
    createDefaultBackendRegistry(),
    true,
  );
  const program = buildProgram(ctx);

  it.each(Object.entries(READMES))("%s", (name, path) => {
    const lines = commandLines(name, readFileSync(path, "utf8"));
    expect(lines.length, `${name} shows no lattice command line`).toBeGreaterThan(0);
    const unknown = lines.flatMap((line) => {
      const { command, flags } = resolve(program, line);
      const accepted = acceptedOptions(command);
      return flags
        .filter((flag) => !accepted.has(flag))
        .map(
          (flag) => `${line.where}: lattice ${command === program ? "" : `${commandPath(command)} `}${flag}`,
        );
    });
    expect(unknown).toEqual([]);
  });
});

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

describe("the exit-code table of apps/host/README.md", () => {
  const text = readFileSync(READMES["apps/host/README.md"], "utf8");
  const table = text.slice(text.indexOf("### Exit codes"), text.indexOf("### Bad input"));

  it("lists exactly the codes of EXIT_CODES", () => {
    const documented = [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    expect(documented).toEqual(Object.values(EXIT_CODES).sort());
  });

  it("holds for real runs: 0 help, 2 bad usage and bad input, 1 unreachable backend, 3 missing entry", async () => {
    const env = cleanEnv();
    const nats = await startNatsServer();
    const dead = `nats://127.0.0.1:${await freePort()}`;
    const runs = await Promise.all([
      runLattice(["host", "--help"], { env }),
      runLattice(["linkdefs", "ls", "--no-such-flag"], { env }),
      runLattice(
        ["linkdefs", "put", "--actor", "a b", "--provider", "P", "--contract", "c", "--nats-url", dead],
        {
          env,
        },
      ),
      runLattice(["--config", "/nonexistent/lattice.yaml", "config", "print"], { env }),
      runLattice(["linkdefs", "ls", "--nats-url", dead, "--ready-timeout", "3000"], { env }),
      runLattice(["refmaps", "get", "ghcr.io/acme/none:1", "--nats-url", nats.url, "--prefix", "readme"], {
        env,
      }),
    ]);
    expect(runs.map((r) => r.code)).toEqual([
      EXIT_CODES.success,
      EXIT_CODES.usage,
      EXIT_CODES.usage,
      EXIT_CODES.usage,
      EXIT_CODES.failure,
      EXIT_CODES.notFound,
    ]);
    expect(runs[2]?.stderr).toContain("nothing was sent");
    expect(runs[4]?.stderr).toContain("cannot reach NATS at");
  });
});
