// Which lattices exist on a NATS server: one KV bucket LATTICEDATA_{prefix} each, so one stream
// KV_LATTICEDATA_{prefix} each. Reads stream names only; creates nothing.
import { BackendUnavailableError, errorText, PermissionDeniedError } from "@lattice-cache/core/backend";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { bucketName, streamName } from "./bucket-layout.js";
import { natsConnectOptions } from "./connection-options.js";
import { isPermissionError } from "./nats-errors.js";
import { type JetStreamBackendOptions, parseJetStreamOptions } from "./options.js";

const LATTICE_STREAM_PREFIX = streamName(bucketName(""));

/**
 * The prefixes of every lattice whose bucket exists (in `jsDomain` when set), sorted. Connects with the
 * backend's options (or uses `options.connection`), lists the streams, disconnects. Throws
 * `BackendUnavailableError` when NATS or JetStream cannot be reached, `PermissionDeniedError` when the
 * user may not list streams (`$JS.API.STREAM.NAMES`).
 */
export async function listJetStreamLattices(options: JetStreamBackendOptions): Promise<string[]> {
  const resolved = parseJetStreamOptions(options);
  let nc: NatsConnection;
  try {
    nc =
      resolved.connection ??
      (await connect({
        ...natsConnectOptions(resolved),
        maxReconnectAttempts: 0,
        timeout: resolved.openTimeoutMs,
      }));
  } catch (error) {
    throw new BackendUnavailableError(
      "jetstream",
      `cannot connect to list the lattices: ${errorText(error)}`,
      {
        cause: error,
      },
    );
  }
  try {
    const jsm = await jetstreamManager(nc, { domain: resolved.jsDomain, timeout: resolved.openTimeoutMs });
    const prefixes: string[] = [];
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(LATTICE_STREAM_PREFIX) && name.length > LATTICE_STREAM_PREFIX.length) {
        prefixes.push(name.slice(LATTICE_STREAM_PREFIX.length));
      }
    }
    return prefixes.sort();
  } catch (error) {
    if (isPermissionError(error)) {
      throw new PermissionDeniedError(
        `not allowed to list the lattices' buckets: grant $JS.API.STREAM.NAMES (${errorText(error)})`,
        { cause: error },
      );
    }
    throw new BackendUnavailableError("jetstream", `cannot list the lattices: ${errorText(error)}`, {
      cause: error,
    });
  } finally {
    if (resolved.connection === undefined) await nc.close().catch(() => {});
  }
}
