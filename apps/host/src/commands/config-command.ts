// `lattice config print`: the effective configuration (file < env < flags), secrets masked.
import type { Command } from "commander";
import { stringify } from "yaml";
import type { CliContext } from "../cli/cli-context.js";
import { maskSecrets } from "../config/mask-secrets.js";

/** Adds `config print` to `program`. */
export function registerConfigCommand(program: Command, ctx: CliContext): void {
  const config = program.command("config").description("inspect the configuration");
  config
    .command("print")
    .description("print the effective configuration (YAML, or JSON with --json); secrets show as ***")
    .action((_opts: unknown, command: Command) => {
      const masked = maskSecrets(ctx.config(command), ctx.registry.configSchema());
      if (ctx.json(command)) ctx.printJson(masked);
      else ctx.print(stringify(masked));
    });
}
