// `lattice host`: a long-running host with a live replica and HTTP status, metrics and health endpoints.
import type { Command } from "commander";
import type { CliContext } from "../cli/cli-context.js";
import { createHostContainer } from "../composition/host-container.js";
import { withHostId } from "../runtime/host-identity.js";
import { runHostUntilStopped } from "../runtime/run-host.js";

/** Adds `host` to `program`. */
export function registerHostCommand(program: Command, ctx: CliContext): void {
  program
    .command("host")
    .description(
      "run a host: live replica, HTTP /, /status, /metrics, /healthz, /readyz, /events (Ctrl-C stops)",
    )
    .action(async (_opts: unknown, command: Command) => {
      const config = withHostId(ctx.config(command), "host");
      if (ctx.dryRun) return;
      const json = ctx.json(command);
      const container = createHostContainer(config, {
        registry: ctx.registry,
        defaultLogLevel: "info",
      });
      await runHostUntilStopped(container, {
        onListening(address) {
          const facts = {
            event: "listening",
            url: address.url,
            port: address.port,
            hostId: config.hostId,
            backend: config.backend,
            target: ctx.registry.targetOf(config),
            prefix: config.prefix,
          };
          if (json) ctx.print(JSON.stringify(facts));
          else {
            ctx.print(`lattice host ${config.hostId} listening on ${address.url}`);
            ctx.print(`  backend ${config.backend} (${facts.target}), prefix ${config.prefix}`);
            ctx.print(`  status page ${address.url}/  ·  ${address.url}/status  ·  ${address.url}/metrics`);
          }
        },
        onStopping: (signal) => ctx.note(`${signal}: stopping the host`),
        onForced: () => ctx.note("second signal: exiting without a clean stop"),
      });
      ctx.note("host stopped");
    });
}
