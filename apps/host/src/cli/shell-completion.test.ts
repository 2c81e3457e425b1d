// `lattice completion bash|zsh`: scripts made from the program's own commands, loaded in a real bash and
// driven the way bash's completion drives them (COMP_WORDS / COMP_CWORD).
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createDefaultBackendRegistry } from "../composition/builtin-backends.js";
import { cleanEnv, LATTICE_BIN, runLattice } from "../test-support/lattice-process.test-helpers.js";
import { CliContext } from "./cli-context.js";
import { buildProgram } from "./program.js";

/** Whether `shell` is installed. */
function installed(shell: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${shell}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** `lattice` as a shell function running the built CLI (it is not on the test's PATH). */
const LATTICE_FUNCTION = `lattice() { ${JSON.stringify(process.execPath)} ${JSON.stringify(LATTICE_BIN)} "$@"; }`;

/** Runs `script` in a real bash with the completion loaded as the README says: `source <(lattice completion bash)`. */
function bash(script: string): string {
  return execFileSync("bash", ["-c", `${LATTICE_FUNCTION}\nsource <(lattice completion bash)\n${script}`], {
    encoding: "utf8",
    env: cleanEnv(),
  });
}

/** What bash offers for the command line `line` (the cursor at its end; a trailing blank starts a new word). */
function complete(line: string): string[] {
  const words = line.split(" ");
  const array = words.map((w) => `'${w}'`).join(" ");
  const out = bash(
    `COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; COMPREPLY=()\n` +
      `_lattice_completion lattice '${words.at(-1)}' '${words.at(-2) ?? ""}'\nprintf '%s\\n' "\${COMPREPLY[@]}"`,
  );
  return out.split("\n").filter((w) => w !== "");
}

/** The top-level commands as the program registers them (commander's own list, not the script's). */
function programCommands(): string[] {
  const ctx = new CliContext(
    { stdout: () => {}, stderr: () => {}, env: {}, stdin: () => "" },
    createDefaultBackendRegistry(),
    true,
  );
  return buildProgram(ctx).commands.map((c) => c.name());
}

describe("lattice completion bash (in a real bash)", () => {
  it("loads: `complete -p lattice` names its function", () => {
    expect(bash("complete -p lattice").trim()).toBe("complete -o default -F _lattice_completion lattice");
  });

  it("completes a command from its start: `lattice link` offers linkdefs", () => {
    expect(complete("lattice link")).toEqual(["linkdefs"]);
  });

  it("offers every command the program registers, and the global flags, after `lattice`", () => {
    const offered = complete("lattice ");
    expect(programCommands().length).toBeGreaterThan(10);
    for (const name of programCommands()) expect(offered).toContain(name);
    expect(offered).toEqual(expect.arrayContaining(["--backend", "--log-format", "--json", "--help"]));
  });

  it("offers a command's subcommands and flags, the globals included, after it", () => {
    expect(complete("lattice linkdefs ")).toEqual(expect.arrayContaining(["put", "get", "del", "ls"]));
    expect(complete("lattice linkdefs put --")).toEqual(
      expect.arrayContaining(["--actor", "--provider", "--contract", "--link-name", "--value", "--prefix"]),
    );
    expect(complete("lattice watch ")).toEqual(expect.arrayContaining(["linkdefs", "claims", "refmaps"]));
  });

  it("skips a flag's value while walking the words, and offers the flag's choices after it", () => {
    expect(complete("lattice --prefix linkdefs linkdefs p")).toEqual(["put"]);
    expect(complete("lattice --backend ")).toEqual(["jetstream", "redis", "legacy", "memory", "postgres"]);
    expect(complete("lattice status --log-format p")).toEqual(["pretty"]);
    expect(complete("lattice migrate --from ")).toEqual(["legacy", "stream"]);
    // A free value (a file, a URL): nothing offered, bash falls back to file names (-o default).
    expect(complete("lattice --config ")).toEqual([]);
  });
});

describe("lattice completion zsh", () => {
  it("is a #compdef script with the program's commands, their descriptions and the flags' choices", async () => {
    const run = await runLattice(["completion", "zsh"], { env: cleanEnv() });
    expect(run.code).toBe(0);
    const script = run.stdout;
    expect(script.startsWith("#compdef lattice\n")).toBe(true);
    for (const name of programCommands()) expect(script).toContain(`'${name}:`);
    expect(script).toContain("'linkdefs') entries=('put:create or replace a link definition'");
    expect(script).toContain("*'|--log-format') values=('json' 'pretty'); return 0 ;;");
    expect(script).toContain("compdef _lattice lattice");
    if (installed("zsh")) {
      // Where zsh is installed: the script parses, and loads after compinit.
      execFileSync("zsh", ["-n", "-c", script]);
      execFileSync("zsh", ["-c", `autoload -Uz compinit && compinit -u\n${script}`], { env: cleanEnv() });
    }
  });

  it("refuses a shell it has no script for (exit 2)", async () => {
    const run = await runLattice(["completion", "fish"], { env: cleanEnv() });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bash, zsh/);
  });
});
