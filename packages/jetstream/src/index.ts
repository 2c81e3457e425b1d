// @lattice-cache/jetstream — the only public door of the package.

export { type NatsClientSettings, natsClientOptions } from "@lattice-cache/plugin/nats";
export { bucketName, streamName } from "./bucket-layout.js";
export type { BucketDifference } from "./bucket-provisioner.js";
export {
  type BucketFacts,
  type FindingSeverity,
  inspectJetStream,
  type JetStreamFinding,
  type JetStreamInspection,
} from "./inspect-jetstream.js";
export { JetStreamBackend } from "./jetstream-backend.js";
export { JetStreamNotEnabledError } from "./jetstream-not-enabled-error.js";
export { listJetStreamLattices } from "./lattice-listing.js";
export {
  type BucketSettings,
  type BucketStorage,
  JETSTREAM_DEFAULTS,
  JETSTREAM_OPTIONS,
  type JetStreamAuth,
  type JetStreamBackendOptions,
  type JetStreamTlsFiles,
  type ProvisionMode,
  parseJetStreamOptions,
  type ResolvedOptions as ResolvedJetStreamOptions,
} from "./options.js";
export { compareServerVersions } from "./server-version.js";
