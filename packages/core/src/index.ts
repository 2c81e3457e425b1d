// @lattice-cache/core — the public door of the package. Helpers for tests: `@lattice-cache/core/testing`.

export {
  BACKEND_SPECIFICATION_VERSION,
  type BackendCapabilities,
  type BackendEntry,
  type BackendHead,
  type FeedPosition,
  type FeedSink,
  type FeedSubscription,
  type LatticeBackend,
  type WriteRequest,
  type WriteResult,
} from "./backend.js";
export { Backoff, type BackoffPolicy, backoffDelay } from "./backoff.js";
export { sameBytes } from "./bytes.js";
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
export {
  assertCompactionRequest,
  COMPACTION_PROGRESS_EVERY,
  type CompactionReport,
  type CompactionRequest,
  CompactionScan,
  type RemovedTombstone,
} from "./compaction.js";
export {
  COMPACTION_LEASE_KEY,
  type CompactionLease,
  decodeCompactionLease,
  encodeCompactionLease,
} from "./compaction-lease.js";
export {
  CompactionSchedule,
  type CompactionScheduleOptions,
  DEFAULT_COMPACTION_INTERVAL_MS,
} from "./compaction-schedule.js";
export {
  bridgeExpectedRevision,
  casAccepts,
  comparableRevision,
  DEFAULT_UPDATE_RETRY,
  historyAccepts,
  type KeyState,
  LEGACY_POLICIES,
  type LegacyPolicy,
  type UpdateRetryPolicy,
} from "./conflict-rules.js";
export { type DeliveredChange, type DeliveryPrint, printOf } from "./delivery-print.js";
export { type EntryHash, entryHash, SetDigest } from "./digest.js";
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
  FeedProtocol,
  type FeedProtocolOptions,
  MAX_PROOF_SPAN,
  rewriteOf,
} from "./feed-protocol.js";
export { InFlightWrites } from "./in-flight-writes.js";
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
export {
  DEFAULT_LOG_AUDIT_INTERVAL_MS,
  DEFAULT_LOG_RETRY,
  followLog,
  LOG_FEED_CLOSE_GRACE_MS,
  type LogFeedOptions,
  LogGapError,
  type LoggedChange,
  type LogHead,
  type LogSignals,
  type LogTransport,
  PROVE_WITHIN_MS,
} from "./log-feed.js";
export { LogFeeds } from "./log-feeds.js";
export { type Logger, silentLogger } from "./logger.js";
export { MemoryBackend, type MemoryBackendOptions, MemoryStore } from "./memory-backend.js";
export {
  DEFAULT_REMEMBERED_DELIVERIES,
  RecentDeliveries,
  VERIFY_EVERY_DELIVERIES,
} from "./recent-deliveries.js";
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
export { DEFAULT_INBOX_PREFIX, isInboxSubject, MAX_REPLY_SUBJECT_LENGTH } from "./reply-subjects.js";
export type { CacheStatus } from "./status.js";
export { REDACTED, redactUrl, redactUrlsInText, SECRET_URL_PARAMETERS } from "./url-redaction.js";
export {
  DEFAULT_SYNC_PATIENCE_MS,
  followWatch,
  type WatchEvents,
  type WatchFeed,
  type WatchFeedOptions,
  type WatchSignals,
  type WatchStart,
  type WatchState,
  type WatchTransport,
} from "./watch-feed.js";
export type { ChangeListener, WatchOptions } from "./watch-hub.js";
export { withTimeout } from "./with-timeout.js";
