// Opening the backend: connect (or adopt a given connection), make the JetStream API clients, and find or
// create the bucket within `openTimeoutMs` — turning every start-up failure into a typed error with a fix.
import {
  BackendUnavailableError,
  type BackoffPolicy,
  backoffDelay,
  ConfigurationError,
  errorText,
  LatticeCacheError,
  PermissionDeniedError,
  redactUrl,
} from "@lattice-cache/core/backend";
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type StreamInfo,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import type { BucketLayout } from "./bucket-layout.js";
import { ensureBucket } from "./bucket-provisioner.js";
import { natsConnectOptions } from "./connection-options.js";
import { ConnectionState } from "./connection-state.js";
import { JetStreamNotEnabledError } from "./jetstream-not-enabled-error.js";
import {
  isNoResponders,
  isPermissionError,
  isTimeout,
  isTransient,
  JS_CODES,
  jetStreamCode,
} from "./nats-errors.js";
import type { ResolvedOptions } from "./options.js";
import { ServerContact } from "./server-contact.js";

const BACKEND = "jetstream";
const API_TIMEOUT_MS = 5_000;
/**
 * The feed's API timeout is shorter: right after a node dies the cluster may still place a new consumer
 * on it and never answer; a quick retry gets placed on a live node sooner than a long wait would.
 */
const FEED_API_TIMEOUT_MS = 2_000;

/** A connection and its JetStream clients. */
export interface BackendSession {
  readonly nc: NatsConnection;
  /** False for a connection passed in options: the backend must not close it. */
  readonly ownConnection: boolean;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** The same API with the feed's shorter timeout. */
  readonly feedJsm: JetStreamManager;
  readonly connection: ConnectionState;
  /** When the server last sent this connection something (the pre-write history check's freshness). */
  readonly contact: ServerContact;
}

/** Connects and makes the API clients (no JetStream request yet). Throws typed errors. */
export async function openSession(options: ResolvedOptions): Promise<BackendSession> {
  const nc = options.connection ?? (await connectTyped(options));
  const connection = new ConnectionState(nc, options.logger);
  connection.start();
  const ownConnection = options.connection === undefined;
  try {
    const apiOptions = { timeout: API_TIMEOUT_MS, ...(options.jsDomain ? { domain: options.jsDomain } : {}) };
    // checkAPI: false — a read-only host may not be allowed $JS.API.INFO; the bucket check is enough.
    const [jsm, feedJsm] = await Promise.all([
      jetstreamManager(nc, { ...apiOptions, checkAPI: false }),
      jetstreamManager(nc, { ...apiOptions, timeout: FEED_API_TIMEOUT_MS, checkAPI: false }),
    ]);
    return {
      nc,
      ownConnection,
      js: jetstream(nc, apiOptions),
      jsm,
      feedJsm,
      connection,
      contact: new ServerContact(),
    };
  } catch (error) {
    await closeSession({ nc, ownConnection, connection } as BackendSession);
    throw error;
  }
}

/** Stops following the connection and closes it if the backend owns it. */
export async function closeSession(session: BackendSession): Promise<void> {
  session.connection.stop();
  if (session.ownConnection) await session.nc.close().catch(() => {});
}

/** Pauses while JetStream does not answer yet at open(): 250 ms doubling to 2 s. */
const PROVISION_RETRY: BackoffPolicy = { baseMs: 250, maxMs: 2_000 };

/**
 * Finds or creates the bucket, retrying transient failures (timeouts, elections) until `deadline`.
 * "No JetStream here" is decided at once when the connected server has none, never left to a timeout.
 */
export async function provisionWithin(
  session: BackendSession,
  options: ResolvedOptions,
  layout: BucketLayout,
  deadline: number,
  cancelled: () => boolean,
): Promise<StreamInfo> {
  const servers = options.servers.map(redactUrl);
  for (let attempt = 1; ; attempt++) {
    try {
      return await ensureBucket({
        jsm: session.jsm,
        layout,
        settings: options.bucket,
        mode: options.provision,
        logger: options.logger,
      });
    } catch (error) {
      if (LatticeCacheError.isInstance(error)) throw error;
      const code = jetStreamCode(error);
      // Servers leave `jetstream` out of INFO when it is off, so anything but true means "not here".
      const serverHasJetStream = session.nc.info?.jetstream === true;
      const notEnabled = () =>
        new JetStreamNotEnabledError({
          servers,
          jsDomain: options.jsDomain,
          serverHasJetStream,
          cause: error,
        });
      if (code === JS_CODES.notEnabled || code === JS_CODES.notEnabledForAccount) throw notEnabled();
      // A server without JetStream answers "no responders" at once and forever: no point waiting.
      if (isNoResponders(error) && !serverHasJetStream && options.jsDomain === undefined) throw notEnabled();
      if (isPermissionError(error)) {
        throw new PermissionDeniedError(`JetStream refused a request: ${errorText(error)}`, { cause: error });
      }
      if (!isTransient(error)) {
        throw new BackendUnavailableError(
          BACKEND,
          `cannot open bucket ${layout.bucket}: ${errorText(error)}`,
          {
            cause: error,
          },
        );
      }
      if (Date.now() + 250 >= deadline || cancelled()) {
        if (isNoResponders(error)) throw notEnabled();
        const why = isTimeout(error) ? "JetStream did not answer" : errorText(error);
        throw new BackendUnavailableError(
          BACKEND,
          `${why} within ${options.openTimeoutMs} ms (${servers.join(", ")}); is a JetStream cluster electing a leader?`,
          { cause: error },
        );
      }
      if (attempt === 1) options.logger.warn({ err: error }, "JetStream not answering yet; retrying");
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(backoffDelay(attempt, PROVISION_RETRY), deadline - Date.now())),
      );
    }
  }
}

async function connectTyped(options: ResolvedOptions): Promise<NatsConnection> {
  try {
    return await connect(natsConnectOptions(options));
  } catch (error) {
    if (LatticeCacheError.isInstance(error)) throw error;
    const servers = options.servers.map(redactUrl).join(", ");
    if (isPermissionError(error) || /authorization/i.test(errorText(error))) {
      throw new PermissionDeniedError(
        `NATS at ${servers} refused the credentials (${errorText(error)}); check nats.auth (the auth option)`,
        { cause: error },
      );
    }
    if (/certificate|tls|ssl/i.test(errorText(error))) {
      throw new ConfigurationError(`TLS handshake with ${servers} failed: ${errorText(error)}`, {
        field: "nats.tls",
        cause: error,
      });
    }
    // A server that refuses the client's certificate (none, or one from a CA it does not trust) drops the
    // connection mid-handshake; nats.js never surfaces the TLS alert, the client only sees a timeout.
    const hint =
      options.tls === undefined
        ? ""
        : options.tls.certFile === undefined
          ? " (with TLS: if the server verifies clients, set nats.tls.certFile and keyFile (the tls option))"
          : " (with TLS, a timeout usually means the server refused the client certificate: check that it trusts" +
            " the CA that issued nats.tls.certFile (the tls option))";
    throw new BackendUnavailableError(BACKEND, `cannot connect to ${servers}: ${errorText(error)}${hint}`, {
      cause: error,
    });
  }
}
