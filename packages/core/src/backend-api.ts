// @lattice-cache/core/backend — the door for backend authors: what a package that implements `LatticeBackend`
// (or composes backends, as the host does) builds on. A program that only uses a LatticeCache needs none of it:
// its door is `@lattice-cache/core`. Helpers for tests: `@lattice-cache/core/testing`.
//
// Here: the backend contract and its capabilities, the feed rules (`FeedProtocol`, `followLog`, `LogFeeds`, the
// history proof), the conflict rules, the compaction scan and lease, the lifecycle every connection-keeping
// backend shares (`BackendLifecycle`, `ConnectDeadline`, `InFlightWrites`), and the small tools backends use
// (`Backoff`, `withTimeout`, `sameBytes`, reply subjects).
//
// Errors have one home, the main door; this door re-exports the ones a backend throws (the same classes, so
// `instanceof` and `isInstance` agree through either door), with `errorText`, `Logger`/`silentLogger` and
// `redactUrl`, so that a backend imports from this one door.

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
export { BackendLifecycle, type BackendLifecycleOptions } from "./backend-lifecycle.js";
export { Backoff, type BackoffPolicy, backoffDelay } from "./backoff.js";
export { sameBytes } from "./bytes.js";
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
  bridgeExpectedRevision,
  casAccepts,
  comparableRevision,
  historyAccepts,
  type KeyState,
  LEGACY_POLICIES,
  type LegacyPolicy,
} from "./conflict-rules.js";
export { ConnectDeadline } from "./connect-deadline.js";
export { type DeliveredChange, type DeliveryPrint, printOf } from "./delivery-print.js";
export { type EntryHash, entryHash, lanesOf, SetDigest } from "./digest.js";
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
export {
  DEFAULT_REMEMBERED_DELIVERIES,
  RecentDeliveries,
  VERIFY_EVERY_DELIVERIES,
} from "./recent-deliveries.js";
export { DEFAULT_INBOX_PREFIX, isInboxSubject, MAX_REPLY_SUBJECT_LENGTH } from "./reply-subjects.js";
export { redactUrl } from "./url-redaction.js";
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
export { withTimeout } from "./with-timeout.js";
