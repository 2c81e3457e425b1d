// `lattice completion bash|zsh`: prints a completion script made from the program's own commands and flags.
import { Argument, type Command } from "commander";
import { bashCompletionScript } from "../cli/bash-completion.js";
import type { CliContext } from "../cli/cli-context.js";
import { completionTree } from "../cli/completion-tree.js";
import { zshCompletionScript } from "../cli/zsh-completion.js";

/** The shells `lattice completion` writes a script for. */
export const COMPLETION_SHELLS = ["bash", "zsh"] as const;

/** Adds `completion` to `program` (it reads `program`'s commands when it runs, so register it anywhere). */
export function registerCompletionCommand(program: Command, ctx: CliContext): void {
  program
    .command("completion")
    .description("print a shell completion script (bash: source <(lattice completion bash))")
    .addArgument(new Argument("<shell>", "the shell").choices(COMPLETION_SHELLS))
    .action((shell: (typeof COMPLETION_SHELLS)[number]) => {
      const tree = completionTree(program);
      ctx.print(shell === "bash" ? bashCompletionScript(tree) : zshCompletionScript(tree));
    });
}
