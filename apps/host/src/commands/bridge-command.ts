// `lattice bridge`: the migration bridge as a long-running process — a host on the durable backend (HTTP
// status, metrics, the cross-host audit) plus a LegacyBridge between its cache and the old hosts' broadcast.
import { LatticeCacheError, redactUrl } from "@lattice-cache/core";
import type { Command } from "commander";
import { registerBridgeMetrics } from "../bridge/bridge-metrics.js";
import { HostedBridge } from "../bridge/hosted-bridge.js";
import type { CliContext } from "../cli/cli-context.js";
import { OperationalError } from "../cli/cli-errors.js";
import { assertDurableBackend } from "../cli/durable-backend.js";
import { legacyMigration } from "../composition/builtin-backends.js";
import { createHostContainer } from "../composition/host-container.js";
import { LOGGER, METRICS, resolveToken } from "../composition/tokens.js";
import { ConfigLayerBuilder } from "../config/config-layer.js";
import { DEFAULT_BRIDGE_HTTP_PORT } from "../config/core-settings.js";
import { settingsCatalog } from "../config/settings-catalog.js";
import { StatusServer } from "../http/status-server.js";
import { withHostId } from "../runtime/host-identity.js";
import { runHostUntilStopped } from "../runtime/run-host.js";

/** The setting `--policy` sets. */
const POLICY_PATH = "bridge.policy";

/** Adds `bridge` to `program`. */
export function registerBridgeCommand(program: Command, ctx: CliContext): void {
  // `--policy` sets the setting bridge.policy (its env variable and values are the schema's).
  const policy = settingsCatalog(ctx.registry.configSchema()).setting(POLICY_PATH);
  program
    .command("bridge")
    .description(
      "run the migration bridge: old hosts' broadcasts <-> the durable backend, with HTTP /status, /metrics, " +
        `/healthz, /readyz on --http-port (default ${DEFAULT_BRIDGE_HTTP_PORT}); Ctrl-C stops`,
    )
    .option(
      "--policy <policy>",
      `${policy?.facts.description} (${policy?.choices?.join(" or ")}; default ${String(policy?.defaultValue)}; ` +
        `config ${POLICY_PATH}, env ${policy?.facts.env})`,
    )
    .action(async (opts: { policy?: string }, command: Command) => {
      const config = withHostId(
        ctx.config(command, {
          // Its own port, so a bridge and a host (7411) run side by side with no flags.
          defaults: new ConfigLayerBuilder()
            .set("http.port", DEFAULT_BRIDGE_HTTP_PORT, "the default of lattice bridge")
            .build(),
          flags: new ConfigLayerBuilder().set(POLICY_PATH, opts.policy, "flag --policy").build(),
        }),
        "bridge",
      );
      assertDurableBackend(config, "bridge");
      if (ctx.dryRun) return;
      const json = ctx.json(command);
      const container = createHostContainer(config, {
        registry: ctx.registry,
        defaultLogLevel: "info",
      });
      const bridge = new HostedBridge(
        config,
        legacyMigration.legacyConnectionOf(config),
        resolveToken(container, LOGGER),
      );
      container.resolve(StatusServer).addSection({
        name: "bridge",
        status: () => bridge.status(),
        ready: () => bridge.running,
      });
      registerBridgeMetrics(resolveToken(container, METRICS).registry, () => bridge.current());
      const oldHosts = `NATS at ${config.nats.servers.map(redactUrl).join(",")}`;
      await runHostUntilStopped(container, {
        async onListening(address, runtime) {
          const target = ctx.registry.targetOf(config);
          if (json) {
            ctx.print(
              JSON.stringify({
                event: "listening",
                url: address.url,
                port: address.port,
                bridgeId: bridge.bridgeId,
                backend: config.backend,
                target,
                prefix: config.prefix,
                policy: config.bridge.policy,
                legacy: oldHosts,
              }),
            );
          } else {
            ctx.print(`lattice bridge ${bridge.bridgeId} listening on ${address.url}`);
            ctx.print(`  durable backend ${config.backend} (${target}), prefix ${config.prefix}`);
            ctx.print(
              `  old hosts on ${oldHosts} (wasmbus.rpc.${config.prefix}.*), policy ${config.bridge.policy}`,
            );
            ctx.print(`  ${address.url}/status  ·  ${address.url}/metrics`);
          }
          let running: legacyMigration.LegacyBridgeStatus;
          try {
            running = await bridge.run(await runtime.opened());
          } catch (error) {
            throw describeBridgeFailure(error, oldHosts);
          }
          if (json) ctx.print(JSON.stringify({ event: "running", ...runningFacts(running) }));
          else ctx.print(runningLine(running));
        },
        onStopping: (signal) => ctx.note(`${signal}: stopping the bridge`),
        onForced: () => ctx.note("second signal: exiting without a clean stop"),
        beforeStop: () => bridge.stop(),
      });
      ctx.note("bridge stopped");
    });
}

/** A setup error of the bridge, phrased for the user (configuration errors keep their exit code 2). */
function describeBridgeFailure(error: unknown, oldHosts: string): Error {
  if (LatticeCacheError.hasCode(error, "PERMISSION_DENIED")) {
    return new OperationalError(`${oldHosts} refused the bridge: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

function runningFacts(status: legacyMigration.LegacyBridgeStatus): Record<string, unknown> {
  return {
    bridgeId: status.bridgeId,
    policy: status.policy,
    prefix: status.prefix,
    startupImport: status.startupImport ?? null,
  };
}

/** One line once the bridge runs: what its start-up import took from the old hosts. */
function runningLine(status: legacyMigration.LegacyBridgeStatus): string {
  const s = status.startupImport;
  if (!s) return `bridge running (policy ${status.policy}; no start-up import)`;
  const replies = s.source.kind === "legacy" ? Object.values(s.source.replies).reduce((a, b) => a + b, 0) : 0;
  return (
    `bridge running (policy ${status.policy}): start-up import from old hosts created ${s.created}, ` +
    `unchanged ${s.unchanged}, skipped ${s.skipped}, failed ${s.failed} (${replies} .get replies)`
  );
}
