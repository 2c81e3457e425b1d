// Who can reach the nats-server `lattice up` starts. It runs JetStream with no authentication, so beyond
// loopback — `--nats-url nats://0.0.0.0:…` — it would let anyone who reaches the port read and write the
// lattice: `up` refuses that unless `up.natsPublic` says it may be public, as the HTTP side does for
// `http.host` beyond loopback without a token (http/http-access.ts).
import { ConfigurationError } from "@lattice-cache/core";
import { isLoopback } from "../http/http-access.js";

/** The setting that lets `up` start an open nats-server beyond loopback. */
export const NATS_PUBLIC_SETTING = "up.natsPublic";

/** Addresses that mean every interface of this machine. */
const EVERY_INTERFACE: ReadonlySet<string> = new Set(["0.0.0.0", "::"]);

/**
 * Where a nats-server started on `host` listens: `loopback` (127.0.0.0/8, `::1`, `localhost`: only this
 * machine), `public` (every interface, allowed by {@link NATS_PUBLIC_SETTING}), or `elsewhere` (another
 * machine's address, or one interface of this one: `up` does not start a server there).
 *
 * Throws `ConfigurationError` (field `up.natsPublic`) for every interface without `natsPublic`; its message
 * ends with `howToAllow`, how to set the setting (`up.natsPublic: true (flag …, env …)`).
 */
export function localNatsExposure(
  host: string,
  port: number,
  natsPublic: boolean,
  howToAllow: string,
): "loopback" | "public" | "elsewhere" {
  if (isLoopback(host)) return "loopback";
  if (!EVERY_INTERFACE.has(host)) return "elsewhere";
  if (natsPublic) return "public";
  throw new ConfigurationError(
    `invalid configuration: nats.servers asks \`lattice up\` to start nats-server on ${host}:${port}, every ` +
      `interface, with JetStream and no authentication: anyone who reaches port ${port} could read and write ` +
      `the lattice. Use --nats-url nats://127.0.0.1:${port}, or set ${howToAllow} if it may be public`,
    { field: NATS_PUBLIC_SETTING },
  );
}

/** The warning `up` prints when it starts a nats-server beyond loopback. */
export function publicNatsWarning(host: string, port: number): string {
  return (
    `WARNING: nats-server listens on every interface (${host}:${port}) with no authentication ` +
    `(${NATS_PUBLIC_SETTING}): anyone who reaches this machine on port ${port} reads and writes every link ` +
    "definition, claim and reference map of the lattice"
  );
}
