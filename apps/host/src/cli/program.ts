// The `lattice` command line: global flags, the commands, and the mapping of outcomes to exit codes.
import { readFileSync } from "node:fs";
import { redactUrlsInText } from "@lattice-cache/core";
import { Command, CommanderError, Option } from "commander";
import { registerApplyCommand } from "../commands/apply-command.js";
import { registerBridgeCommand } from "../commands/bridge-command.js";
import { registerClaimsCommand } from "../commands/claims-command.js";
import { registerCompactCommand } from "../commands/compact-command.js";
import { registerCompletionCommand } from "../commands/completion-command.js";
import { registerConfigCommand } from "../commands/config-command.js";
import { registerCopyCommand } from "../commands/copy-command.js";
import { registerDoctorCommand } from "../commands/doctor-command.js";
import { registerExportCommand } from "../commands/export-command.js";
import { registerGetCommand } from "../commands/get-command.js";
import { registerHostCommand } from "../commands/host-command.js";
import { registerImportCommand } from "../commands/import-command.js";
import { registerLinkdefsCommand } from "../commands/linkdefs-command.js";
import { registerMigrateCommand } from "../commands/migrate-command.js";
import { registerRefmapsCommand } from "../commands/refmaps-command.js";
import { registerStatusCommand } from "../commands/status-command.js";
import { registerUpCommand } from "../commands/up-command.js";
import { registerWatchCommand } from "../commands/watch-command.js";
import type { BackendRegistry } from "../composition/backend-registry.js";
import { createDefaultBackendRegistry } from "../composition/builtin-backends.js";
import { loadRequestedPlugins } from "../composition/plugin-loader.js";
import { flagBindings, OTHER_GLOBAL_FLAGS } from "../config/config-flags.js";
import { pluginRequestOf } from "../config/plugin-request.js";
import { LATTICE_VERSION } from "../version.js";
import { CliContext, type CliIo } from "./cli-context.js";
import { EXIT_CODES, type ExitCode, exitCodeOf } from "./exit-codes.js";
import { escapeTerminalOutput } from "./terminal-text.js";

/** Options of {@link runCli}. */
export interface RunCliOptions {
  /** Output and environment. Default: the process's. */
  readonly io?: Partial<CliIo>;
  /**
   * Backends to offer. Default: every backend this build ships. Plugins the configuration asks for (`plugins`,
   * or a `backend` it does not hold) are loaded into it.
   */
  readonly registry?: BackendRegistry;
  /** Check everything, connect to nothing, start nothing (see {@link CliContext.dryRun}). Default false. */
  readonly dryRun?: boolean;
}

/** Builds the commander program (exposed for help-text tests). */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command("lattice")
    .description("The lattice cache: a durable, partition-tolerant metadata cache for wasmCloud-style hosts")
    .version(LATTICE_VERSION)
    .showHelpAfterError("(run with --help for usage)")
    // Commander's messages echo the command line: escaped like everything else the CLI prints.
    .configureOutput({
      writeOut: (text) => ctx.io.stdout(escapeTerminalOutput(text)),
      writeErr: (text) => ctx.io.stderr(escapeTerminalOutput(text)),
    })
    .exitOverride()
    // Every command's --help lists the global flags too (commands inherit this setting when added).
    .configureHelp({ showGlobalOptions: true });
  // The settings' flags come from the configuration schema (the registered backends' sections included).
  for (const binding of flagBindings(ctx.registry.configSchema())) {
    const option = new Option(`${binding.option} <${binding.valueName}>`, binding.description);
    program.addOption(binding.choices ? option.choices(binding.choices) : option);
  }
  for (const flag of OTHER_GLOBAL_FLAGS) {
    program.option(
      "valueName" in flag ? `${flag.option} <${flag.valueName}>` : flag.option,
      flag.description,
    );
  }
  program.addHelpText(
    "after",
    "\nExit codes: 0 success, 1 operational error, 2 bad usage or input, 3 entry not found, " +
      "4 split brain (status --hosts), 5 hosts missing, unexpected or sharing an id (status --hosts)",
  );
  registerUpCommand(program, ctx);
  registerHostCommand(program, ctx);
  registerLinkdefsCommand(program, ctx);
  registerClaimsCommand(program, ctx);
  registerRefmapsCommand(program, ctx);
  registerWatchCommand(program, ctx);
  registerStatusCommand(program, ctx);
  registerDoctorCommand(program, ctx);
  registerBridgeCommand(program, ctx);
  registerMigrateCommand(program, ctx);
  registerCompactCommand(program, ctx);
  registerConfigCommand(program, ctx);
  registerGetCommand(program, ctx);
  registerApplyCommand(program, ctx);
  registerExportCommand(program, ctx);
  registerImportCommand(program, ctx);
  registerCopyCommand(program, ctx);
  registerCompletionCommand(program, ctx);
  return program;
}

/**
 * Runs `lattice` with `argv` (without the node and script paths) and resolves with the exit code.
 * Errors are reported on stderr as `lattice: <message>`, with the URLs in it redacted (`redactUrlsInText` of
 * `@lattice-cache/core`: a client library's message may quote one) and control characters escaped;
 * commander reports its own usage errors.
 */
export async function runCli(argv: readonly string[], options: RunCliOptions = {}): Promise<ExitCode> {
  const io: CliIo = {
    stdout: options.io?.stdout ?? ((text) => process.stdout.write(text)),
    stderr: options.io?.stderr ?? ((text) => process.stderr.write(text)),
    env: options.io?.env ?? process.env,
    stdin: options.io?.stdin ?? (() => readFileSync(0, "utf8")),
    stderrIsTTY:
      options.io?.stderrIsTTY ?? (options.io?.stderr === undefined && process.stderr.isTTY === true),
  };
  const registry = options.registry ?? createDefaultBackendRegistry();
  try {
    // Plugins first: their settings are flags of the program.
    const request = pluginRequestOf(argv, io.env, registry.configSchema());
    await loadRequestedPlugins(registry, request, { cwd: process.cwd() });
    const program = buildProgram(new CliContext(io, registry, options.dryRun ?? false));
    await program.parseAsync([...argv], { from: "user" });
    return EXIT_CODES.success;
  } catch (error) {
    const code = exitCodeOf(error);
    // Commander has already printed its own message (usage errors, help, version).
    if (!(error instanceof CommanderError)) {
      const message = error instanceof Error ? error.message : String(error);
      io.stderr(`lattice: ${escapeTerminalOutput(redactUrlsInText(message))}\n`);
    }
    return code;
  }
}
