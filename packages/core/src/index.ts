// @lattice-cache/core — the door for programs that use a LatticeCache: open it on a backend, read and write its
// collections, watch its changes, read its status, handle its typed errors. Writing a backend (or composing
// backends, as the host does): `@lattice-cache/core/backend`. Helpers for tests: `@lattice-cache/core/testing`.

export type { ChangeEvent, CollectionValues, LatticeChange } from "./change-event.js";
export { type Claims, type ClaimsInput, claimsCodec, splitClaimList } from "./claims.js";
export type { CollectionCodec } from "./collection-codec.js";
export {
  type CacheEntry,
  CollectionHandle,
  type UpdateOutcome,
  type UpdateResult,
  type WriteOptions,
  type WriteOutcome,
} from "./collection-handle.js";
export { ClaimsCollection, LinkDefinitions, ReferenceMaps } from "./collections.js";
export {
  type CompactionOutcome,
  type CompactLatticeOptions,
  compactionUnsupported,
  compactLattice,
  DEFAULT_COMPACTION_LEASE_MS,
} from "./compact-lattice.js";
export type { CompactionReport, RemovedTombstone } from "./compaction.js";
export {
  CompactionSchedule,
  type CompactionScheduleOptions,
  DEFAULT_COMPACTION_INTERVAL_MS,
} from "./compaction-schedule.js";
export { DEFAULT_UPDATE_RETRY, type UpdateRetryPolicy } from "./conflict-rules.js";
export { errorText } from "./error-text.js";
export {
  BackendUnavailableError,
  ClosedError,
  ConfigurationError,
  ConflictError,
  InvalidEntryError,
  InvalidKeyError,
  LatticeCacheError,
  type LatticeErrorCode,
  LatticeNotFoundError,
  NotReadyError,
  PermissionDeniedError,
  UnsupportedOperationError,
  ValueTooLargeError,
  WatchOverflowError,
} from "./errors.js";
export {
  assertKeySafe,
  COLLECTION_NAMES,
  type CollectionName,
  claimsKey,
  collectionOfKey,
  KEY_PREFIXES,
  linkdefId,
  linkdefKey,
  MAX_KEY_LENGTH,
  ociUrlFromRefmapKey,
  refmapKey,
} from "./keys.js";
export { DEFAULT_MAX_VALUE_BYTES, LatticeCache, type LatticeCacheOptions } from "./lattice-cache.js";
export {
  DEFAULT_LINK_NAME,
  type LinkDefinition,
  type LinkDefinitionInput,
  type LinkDefinitionRef,
  linkdefsCodec,
} from "./linkdefs.js";
export { type Logger, silentLogger } from "./logger.js";
export { MemoryBackend, type MemoryBackendOptions, MemoryStore } from "./memory-backend.js";
export { type OciReferenceMap, refmapsCodec } from "./refmaps.js";
export {
  DEFAULT_REPLICA_TIMING,
  DEFAULT_TOMBSTONE_RETENTION_MS,
  PROPAGATION_SAMPLES,
  type PropagationDelay,
  type ReplicaCounters,
  type ReplicaState,
  type ReplicaTiming,
} from "./replica.js";
export type { CacheStatus } from "./status.js";
export { REDACTED, redactUrl, redactUrlsInText, SECRET_URL_PARAMETERS } from "./url-redaction.js";
export type { ChangeListener, WatchOptions } from "./watch-hub.js";
