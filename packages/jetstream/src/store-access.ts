// What reading single keys and compacting need from an open JetStream backend, and the check that it can
// be used now (a closed or disconnected backend fails fast with a typed error), and their errors, typed.
import {
  type BackendEntry,
  BackendUnavailableError,
  ClosedError,
  errorText,
  LatticeCacheError,
  PermissionDeniedError,
} from "@lattice-cache/core/backend";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { apiPrefixFor, type BucketLayout } from "./bucket-layout.js";
import { type LastMessageSource, readLastEntry } from "./last-message.js";
import type { ScanSource } from "./last-per-subject-scan.js";
import { isPermissionError } from "./nats-errors.js";

/** An open backend's connection, API client and bucket, for reads and compaction. */
export interface StoreAccess extends ScanSource, LastMessageSource {
  /** `$JS.API`, or `$JS.<domain>.API`: for the subjects named in permission errors. */
  readonly apiPrefix: string;
}

/** What `openStoreAccess` takes from the backend. */
export interface StoreAccessParts {
  /** The backend's session, when open. */
  readonly session: { readonly nc: NatsConnection; readonly jsm: JetStreamManager } | undefined;
  readonly closed: boolean;
  readonly layout: BucketLayout;
  readonly heartbeatMs: number;
  readonly jsDomain: string | undefined;
  readonly allowDirect: () => boolean;
}

/** The access of an open, connected backend; throws `ClosedError` or `BackendUnavailableError` otherwise. */
export function openStoreAccess(parts: StoreAccessParts): StoreAccess {
  const { session, layout } = parts;
  if (parts.closed) throw new ClosedError("the jetstream backend");
  if (session === undefined) throw new BackendUnavailableError("jetstream", "the backend is not open");
  if (session.nc.isClosed()) throw new BackendUnavailableError("jetstream", "the connection is closed");
  return {
    nc: session.nc,
    jsm: session.jsm,
    layout,
    heartbeatMs: parts.heartbeatMs,
    apiPrefix: apiPrefixFor(parts.jsDomain),
    allowDirect: parts.allowDirect,
  };
}

/** The key's latest stored change (see `LatticeBackend.read`), with typed errors. */
export async function readStoredEntry(access: StoreAccess, key: string): Promise<BackendEntry | undefined> {
  try {
    return await readLastEntry(access, key);
  } catch (error) {
    const [api, suffix] = access.allowDirect() ? ["DIRECT.GET", ".>"] : ["STREAM.MSG.GET", ""];
    throw typedStoreError(error, access, `read ${key}`, api, suffix);
  }
}

/**
 * A failure as a typed error naming what failed; a refused request names the subject to grant
 * (`<api prefix>.<api>.<stream><suffix>`).
 */
export function typedStoreError(
  error: unknown,
  access: StoreAccess,
  what: string,
  api: string,
  suffix = "",
): Error {
  if (LatticeCacheError.isInstance(error)) return error;
  if (isPermissionError(error)) {
    const subject = `${access.apiPrefix}.${api}.${access.layout.stream}${suffix}`;
    return new PermissionDeniedError(`not allowed to ${what}: grant publish on ${subject}`, { cause: error });
  }
  return new BackendUnavailableError("jetstream", `cannot ${what}: ${errorText(error)}`, { cause: error });
}
