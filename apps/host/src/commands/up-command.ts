// `lattice up`: the zero-setup path. Reuses the NATS server at --nats-url or starts `nats-server -js` there,
// runs a jetstream host on it in the demo lattice (prefix `demo` unless configured), prints what runs and
// what to try next; Ctrl-C stops the host, then the server.
import { join } from "node:path";
import { errorText, redactUrl } from "@lattice-cache/core";
import type { Command } from "commander";
import type { CliContext } from "../cli/cli-context.js";
import { OperationalError } from "../cli/cli-errors.js";
import { createHostContainer } from "../composition/host-container.js";
import { ConfigLayerBuilder } from "../config/config-layer.js";
import { DEMO_PREFIX } from "../config/core-settings.js";
import type { HostConfig } from "../config/host-config.js";
import { settingsCatalog } from "../config/settings-catalog.js";
import { withHostId } from "../runtime/host-identity.js";
import { runHostUntilStopped } from "../runtime/run-host.js";
import { waitForStopSignal } from "../runtime/shutdown-signals.js";
import { type DemoLattice, demoLatticeText, findDemoLattice } from "../up/demo-lattice.js";
import { localNatsExposure, NATS_PUBLIC_SETTING, publicNatsWarning } from "../up/local-nats-exposure.js";
import { type LocalNatsServer, latticeDataDir, startLocalNatsServer } from "../up/local-nats-server.js";
import { type NatsServerInfo, natsAddress, probeNats } from "../up/nats-probe.js";
import { nextSteps } from "../up/next-steps.js";

/** How `up` got its NATS server. */
type NatsOrigin =
  | { kind: "reused"; url: string; info: NatsServerInfo }
  | { kind: "started"; server: LocalNatsServer };

/** Adds `up` to `program`. */
export function registerUpCommand(program: Command, ctx: CliContext): void {
  // `--nats-public` sets the setting up.natsPublic (its env variable and description are the schema's).
  const natsPublic = settingsCatalog(ctx.registry.configSchema()).setting(NATS_PUBLIC_SETTING);
  const howToAllow = `${NATS_PUBLIC_SETTING}: true (flag --nats-public, env ${natsPublic?.facts.env}=1)`;
  program
    .command("up")
    .description("zero setup: use (or start) a local nats-server -js, run a host on it, print where to look")
    .option(
      "--nats-public",
      `${natsPublic?.facts.description} (config ${NATS_PUBLIC_SETTING}, env ${natsPublic?.facts.env})`,
    )
    .action(async (opts: { natsPublic?: boolean }, command: Command) => {
      const given = ctx.config(command, {
        // The demo's own lattice unless the file, the environment or --prefix names one.
        defaults: new ConfigLayerBuilder()
          .set("prefix", DEMO_PREFIX, "`lattice up` (its demo lattice)")
          .build(),
        flags: new ConfigLayerBuilder()
          .set(NATS_PUBLIC_SETTING, opts.natsPublic, "flag --nats-public")
          .build(),
      });
      if (!ctx.registry.names.includes("jetstream")) {
        throw new OperationalError("this build of lattice has no jetstream backend, which `up` needs");
      }
      // `up` is the zero-setup path: it creates its lattice even beside others (unless told never to).
      const createLattice = given.createLattice === "auto" ? "always" : given.createLattice;
      const config = withHostId({ ...given, backend: "jetstream", createLattice }, "host");
      if (given.backend !== "jetstream") {
        // Never silently: the host below is not on the backend the configuration names.
        ctx.note(
          `\`up\` runs a jetstream host on a local nats-server, not backend ${given.backend}; ` +
            `for a host on ${given.backend} run \`lattice --backend ${given.backend} host\` (apps/host/README.md: A host on PostgreSQL)`,
        );
      }
      if (ctx.dryRun) return;
      const json = ctx.json(command);
      // Installed first: a Ctrl-C while nats-server starts must still stop it.
      const stop = waitForStopSignal(() => ctx.note("second signal: exiting without a clean stop"));
      let nats: NatsOrigin | undefined;
      try {
        nats = await obtainNats(ctx, config, howToAllow);
        const origin = nats;
        if (origin.kind === "started") {
          origin.server.onUnexpectedExit((code, signal) =>
            ctx.note(
              `nats-server (pid ${origin.server.pid}) exited on its own (${code ?? signal}); the host is now stale`,
            ),
          );
        }
        const container = createHostContainer(config, {
          registry: ctx.registry,
          defaultLogLevel: "warn",
        });
        const lattice = await findDemoLattice(container, config);
        await runHostUntilStopped(container, {
          stopSignal: stop.signal,
          async onListening(address, runtime) {
            try {
              await runtime.ready(config.readyTimeoutMs);
            } catch (error) {
              throw new OperationalError(
                `the host could not sync with NATS at ${redactUrl(config.nats.servers[0] as string)} within ${config.readyTimeoutMs} ms: ` +
                  errorText(error),
                { cause: error },
              );
            }
            const steps = nextSteps(given, address.url);
            if (json) ctx.print(JSON.stringify(upFacts(origin, config, lattice, address.url, steps)));
            else ctx.print(upSummary(origin, config, lattice, address.url, steps));
          },
          onStopping: (signal) => ctx.note(`${signal}: stopping the host`),
        });
        ctx.note("host stopped");
      } finally {
        if (nats?.kind === "started") {
          ctx.note(`stopping nats-server (pid ${nats.server.pid})`);
          await nats.server.stop();
          ctx.note("nats-server stopped");
        }
        stop.dispose();
      }
    });
}

async function obtainNats(ctx: CliContext, config: HostConfig, howToAllow: string): Promise<NatsOrigin> {
  const given = config.nats.servers[0] as string;
  const { host, port } = natsAddress(given);
  // Credentials in the URL never reach the output.
  const url = redactUrl(given);
  const probe = await probeNats(host, port);
  if (probe.kind === "other") {
    throw new OperationalError(`cannot use ${url}: ${probe.reason}; pass a free address with --nats-url`);
  }
  if (probe.kind === "nats") {
    if (!probe.info.jetstream) {
      throw new OperationalError(
        `the NATS server at ${url} runs without JetStream; restart it with -js (or \`jetstream {}\` in its config), ` +
          "or pass another --nats-url",
      );
    }
    return { kind: "reused", url, info: probe.info };
  }
  const exposure = localNatsExposure(host, port, config.up.natsPublic, howToAllow);
  if (exposure === "elsewhere") {
    throw new OperationalError(
      `cannot reach NATS at ${url} (${probe.reason}), and \`lattice up\` only starts a server on this machine; ` +
        "pass --nats-url nats://127.0.0.1:<port>",
    );
  }
  const dir = join(latticeDataDir(ctx.io.env), "nats", String(port));
  ctx.note(`no NATS server answers at ${url}; starting nats-server -js (data in ${dir})`);
  if (exposure === "public") ctx.note(publicNatsWarning(host, port));
  const server = await startLocalNatsServer({
    host,
    port,
    storeDir: dir,
    logFile: join(dir, "nats-server.log"),
    env: ctx.io.env,
  });
  return { kind: "started", server };
}

function natsLine(origin: NatsOrigin): string {
  if (origin.kind === "reused") {
    return `${origin.url}  (reused: nats-server ${origin.info.version} was already running there)`;
  }
  const s = origin.server;
  return `${s.url}  (started nats-server ${s.version}, pid ${s.pid}; data ${s.storeDir}, log ${s.logFile})`;
}

function upSummary(
  origin: NatsOrigin,
  config: HostConfig,
  lattice: DemoLattice,
  httpUrl: string,
  steps: readonly string[],
): string {
  const stopNote =
    origin.kind === "started"
      ? "Ctrl-C stops the host, then the nats-server it started."
      : "Ctrl-C stops the host (the NATS server it reused keeps running).";
  return [
    "lattice is up",
    `  NATS         ${natsLine(origin)}`,
    `  lattice      ${demoLatticeText(lattice, origin.kind === "reused")}`,
    `  host         ${config.hostId}  (backend jetstream)`,
    `  HTTP         ${httpUrl}`,
    `  status page  ${httpUrl}/`,
    `  status JSON  ${httpUrl}/status    metrics ${httpUrl}/metrics`,
    "",
    "Try next (from the repo root, in another terminal):",
    ...steps.map((s) => `  ${s}`),
    "",
    stopNote,
  ].join("\n");
}

function upFacts(
  origin: NatsOrigin,
  config: HostConfig,
  lattice: DemoLattice,
  httpUrl: string,
  steps: readonly string[],
): Record<string, unknown> {
  return {
    event: "up",
    nats:
      origin.kind === "reused"
        ? { url: origin.url, started: false, version: origin.info.version }
        : {
            url: origin.server.url,
            started: true,
            pid: origin.server.pid,
            version: origin.server.version,
            storeDir: origin.server.storeDir,
            logFile: origin.server.logFile,
          },
    hostId: config.hostId,
    prefix: config.prefix,
    bucket: lattice.bucket,
    bucketCreated: !lattice.existed,
    httpUrl,
    statusPage: `${httpUrl}/`,
    next: steps,
  };
}
