// What shell completion offers, read from the commander program itself — every command, subcommand, flag
// and choice as registered — so the completion scripts never drift from the CLI.
import type { Command, Option } from "commander";

/** A flag a command accepts. */
export interface CompletionFlag {
  /** `--backend`, or `-h` for a short-only flag. */
  readonly name: string;
  /** What `--help` says about it. */
  readonly description: string;
  /** It takes a value (`--backend <name>`): the next word is that value. */
  readonly takesValue: boolean;
  /** The values it allows, when it names them. */
  readonly choices: readonly string[];
}

/** One command of the program (the program itself has the empty path). */
export interface CompletionNode {
  /** The command words after `lattice`, e.g. `["linkdefs", "put"]`. */
  readonly path: readonly string[];
  /** Its subcommands, with their descriptions. */
  readonly subcommands: readonly { readonly name: string; readonly description: string }[];
  /** Its own flags, `--help` included; the program's flags are offered everywhere (see {@link globals}). */
  readonly flags: readonly CompletionFlag[];
  /** The values its positional arguments allow, when they name them (`lattice watch [collection]`). */
  readonly argumentChoices: readonly string[];
}

/** Every command of a program, and the program's own (global) flags. */
export interface CompletionTree {
  /** The program's name (`lattice`). */
  readonly program: string;
  /** Every command, the program first, parents before their subcommands. */
  readonly nodes: readonly CompletionNode[];
  /** The program's flags: accepted before or after any command. */
  readonly globals: readonly CompletionFlag[];
}

function flagsOf(command: Command): CompletionFlag[] {
  return command
    .createHelp()
    .visibleOptions(command)
    .flatMap((option: Option) =>
      [option.long, option.short]
        .filter((name): name is string => name !== undefined)
        .map((name) => ({
          name,
          description: option.description,
          takesValue: option.required || option.optional,
          choices: option.argChoices ?? [],
        })),
    );
}

function nodesOf(command: Command, path: readonly string[]): CompletionNode[] {
  const help = command.createHelp();
  const children = help.visibleCommands(command);
  const node: CompletionNode = {
    path,
    subcommands: children.map((c) => ({ name: c.name(), description: c.summary() || c.description() })),
    flags: path.length === 0 ? [] : flagsOf(command),
    argumentChoices: command.registeredArguments.flatMap((a) => a.argChoices ?? []),
  };
  // commander's implicit `help` command is listed, but it has no node of its own (nothing of it to complete).
  const real = command.commands.filter((c) => children.includes(c));
  return [node, ...real.flatMap((c) => nodesOf(c, [...path, c.name()]))];
}

/** Reads `program`'s commands, flags and choices (call it once every command is registered). */
export function completionTree(program: Command): CompletionTree {
  return { program: program.name(), nodes: nodesOf(program, []), globals: flagsOf(program) };
}
