// What every command gets: output streams, the environment, the backend registry, and the config loader.
import type { Command } from "commander";
import type { BackendRegistry } from "../composition/backend-registry.js";
import type { GlobalFlags } from "../config/config-flags.js";
import type { ConfigLayer } from "../config/config-layer.js";
import type { HostConfig } from "../config/host-config.js";
import { loadConfig } from "../config/load-config.js";
import { escapeTerminalOutput } from "./terminal-text.js";

/** Where a command writes, and what it reads from its surroundings (replaceable in tests). */
export interface CliIo {
  /** Command output (results, tables, JSON). */
  readonly stdout: (text: string) => void;
  /** Messages for the user (errors, progress). Logs go to stderr through pino, not through this. */
  readonly stderr: (text: string) => void;
  /** The environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads all of standard input (`claims put --file -`). */
  readonly stdin: () => string;
  /** True when stderr is a terminal: progress lines are then rewritten in place. Default false. */
  readonly stderrIsTTY?: boolean;
}

/** Configuration a command adds to the global layers (see `LoadConfigOptions`). */
export interface CommandConfigLayers {
  /** The command's defaults, below the config file. */
  readonly defaults?: ConfigLayer;
  /** The command's own flags that are settings, above the global flags. */
  readonly flags?: ConfigLayer;
}

/** The shared context of one `lattice` invocation. */
export class CliContext {
  private readonly configs = new WeakMap<Command, HostConfig>();

  constructor(
    readonly io: CliIo,
    readonly registry: BackendRegistry,
    /**
     * Dry run: commands parse and check everything (flags, configuration, input files, keys, value sizes)
     * and stop before connecting to anything or starting anything. Used by the command-line fuzz tests.
     */
    readonly dryRun = false,
  ) {}

  /** The global flags as given (commander merges them from any position on the command line). */
  flags(command: Command): GlobalFlags {
    return command.optsWithGlobals<GlobalFlags>();
  }

  /** True when `--json` was given. */
  json(command: Command): boolean {
    return this.flags(command).json === true;
  }

  /**
   * The effective configuration: command defaults < file < env < flags < command flags, validated (once per
   * command: a file is read once).
   */
  config(command: Command, layers: CommandConfigLayers = {}): HostConfig {
    let config = this.configs.get(command);
    if (!config) {
      config = loadConfig({
        flags: this.flags(command),
        env: this.io.env,
        backends: this.registry.names,
        sections: this.registry.configSections,
        commandDefaults: layers.defaults,
        commandFlags: layers.flags,
      });
      this.configs.set(command, config);
    }
    return config;
  }

  /**
   * Writes a line (or lines) to stdout, control characters escaped (terminal-text.ts): what it prints may
   * hold what other processes wrote. JSON text stays exact (its values parse back unchanged).
   */
  print(text: string): void {
    this.io.stdout(escapeTerminalOutput(text.endsWith("\n") ? text : `${text}\n`));
  }

  /** Writes a value as pretty JSON to stdout (exact: see {@link print}). */
  printJson(value: unknown): void {
    this.print(JSON.stringify(value, null, 2));
  }

  /** Writes a message to stderr, control characters escaped as {@link print} does. */
  note(text: string): void {
    this.io.stderr(escapeTerminalOutput(text.endsWith("\n") ? text : `${text}\n`));
  }
}
