// @lattice-cache/jetstream — the only public door of the package.

export { BucketLayout, bucketName, streamName } from "./bucket-layout.js";
export {
  type BucketAssessment,
  type BucketDifference,
  DUPLICATE_WINDOW_MS,
  desiredStreamConfig,
} from "./bucket-provisioner.js";
export { connectionName } from "./connection-options.js";
export {
  type BucketFacts,
  type FindingSeverity,
  inspectJetStream,
  type JetStreamFinding,
  type JetStreamInspection,
} from "./inspect-jetstream.js";
export { JetStreamBackend } from "./jetstream-backend.js";
export { JetStreamNotEnabledError } from "./jetstream-not-enabled-error.js";
export { HEADERS as KV_HEADERS } from "./kv-message.js";
export {
  type BucketSettings,
  type BucketStorage,
  JETSTREAM_DEFAULTS,
  type JetStreamAuth,
  type JetStreamBackendOptions,
  type JetStreamTlsFiles,
  type ProvisionMode,
} from "./options.js";
export { compareServerVersions } from "./server-version.js";
