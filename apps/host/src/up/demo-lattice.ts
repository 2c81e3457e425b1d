// The lattice `lattice up` runs its demo in: prefix `demo` (bucket LATTICEDATA_demo) unless the configuration
// names another, so a demo on a NATS server that already runs — maybe one real wasmCloud hosts use — never
// writes into their LATTICEDATA_default. Whether the bucket was there before `up` is told to the user.
import { errorText } from "@lattice-cache/core";
import { bucketName, streamName } from "@lattice-cache/jetstream";
import { natsConnectionOptions } from "@lattice-cache/plugin/nats";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { OperationalError } from "../cli/cli-errors.js";
import type { HostConfig } from "../config/host-config.js";

/** The demo lattice's bucket, and whether it existed before `up` ran its host. */
export interface DemoLattice {
  readonly prefix: string;
  readonly bucket: string;
  /** False: `up`'s host creates it now. */
  readonly existed: boolean;
}

/**
 * Looks up the bucket of `config.prefix` on the configured NATS server (in `nats.jsDomain`, if set).
 * Throws `OperationalError` when JetStream does not answer the lookup.
 */
export async function findDemoLattice(config: HostConfig): Promise<DemoLattice> {
  const bucket = bucketName(config.prefix);
  const nc = await connect(
    natsConnectionOptions(config.nats, {
      name: "lattice up",
      timeoutMs: config.connectTimeoutMs,
      persistent: false,
    }),
  );
  try {
    const jsm = await jetstreamManager(nc, { domain: config.nats.jsDomain });
    try {
      await jsm.streams.info(streamName(bucket));
      return { prefix: config.prefix, bucket, existed: true };
    } catch (error) {
      if (/not found/i.test(errorText(error))) return { prefix: config.prefix, bucket, existed: false };
      throw new OperationalError(`cannot look up bucket ${bucket}: ${errorText(error)}`, { cause: error });
    }
  } finally {
    await nc.close();
  }
}

/** The "lattice" line of `up`'s summary: which bucket the demo uses and who made it. */
export function demoLatticeText(lattice: DemoLattice, serverReused: boolean): string {
  const made = lattice.existed
    ? "existed already (an earlier `lattice up` or another user of this prefix made it)"
    : "created by `up`";
  const untouched = serverReused ? "; other lattices on this server are left alone" : "";
  return `${lattice.prefix}: bucket ${lattice.bucket}, ${made}${untouched}`;
}
