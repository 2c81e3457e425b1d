// The host's HTTP endpoints: /healthz, /readyz, /metrics, /status, /entries, /events and the status page.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { COLLECTION_NAMES, type CollectionName, errorText, type LatticeCache } from "@lattice-cache/core";
import { inject, injectable } from "tsyringe";
import { CONFIG, LOGGER, METRICS } from "../composition/tokens.js";
import type { CoreConfig } from "../config/core-settings.js";
import type { HostLogger } from "../observability/host-logger.js";
import type { HostMetrics } from "../observability/host-metrics.js";
import { ChangeStream } from "./change-stream.js";
import { renderStatusPage } from "./status-page.js";

/** How often connected status pages get a fresh `status` event (state, lag, counts). */
const STATUS_TICK_MS = 2000;

/** Where the server listens. */
export interface ListeningAddress {
  /** e.g. `http://127.0.0.1:7411`. */
  readonly url: string;
  /** The bound port (the chosen one when configured as 0). */
  readonly port: number;
}

/** A part of the HTTP answers contributed by what runs beside the replica (the migration bridge). */
export interface StatusSection {
  /** The `/status` field it fills, e.g. `bridge`. */
  readonly name: string;
  /** Its `/status` value, read on every request. */
  readonly status: () => unknown;
  /** False while it is not ready: `/readyz` says 503 until every section is ready. Default: always ready. */
  readonly ready?: () => boolean;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/**
 * The HTTP side of a host. Starts before the cache is open (so /healthz answers and /readyz says 503
 * while connecting); {@link attach} hands it the cache once open.
 */
@injectable()
export class StatusServer {
  private readonly server: Server;
  private readonly stream = new ChangeStream();
  private readonly routes: Record<string, Handler>;
  /** POST routes; only the test hooks, and only when enabled. */
  private readonly postRoutes: Record<string, Handler> = {};
  private readonly startedAt = Date.now();
  private cache: LatticeCache | undefined;
  private problem: string | undefined;
  private detachChanges: (() => void) | undefined;
  private tick: NodeJS.Timeout | undefined;
  private address: ListeningAddress | undefined;
  private readonly sections: StatusSection[] = [];

  constructor(
    @inject(CONFIG) private readonly config: CoreConfig,
    @inject(LOGGER) private readonly logger: HostLogger,
    @inject(METRICS) private readonly metrics: HostMetrics,
  ) {
    this.routes = {
      "/": (_, res) => send(res, 200, "text/html; charset=utf-8", renderStatusPage()),
      "/healthz": (_, res) => sendJson(res, 200, { status: "ok" }),
      "/readyz": (_, res) => this.readyz(res),
      "/metrics": async (_, res) => send(res, 200, this.metrics.contentType, await this.metrics.render()),
      "/status": (_, res) => sendJson(res, this.cache ? 200 : 503, this.statusBody()),
      "/entries": (_, res) => this.entries(res),
      "/events": (_, res) => this.events(res),
    };
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Listens on `config.http` and resolves with the bound address (port 0 → the chosen port). */
  async start(): Promise<ListeningAddress> {
    const { host, port } = this.config.http;
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host, port }, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const bound = (this.server.address() as AddressInfo).port;
    const shownHost = host.includes(":") ? `[${host}]` : host;
    this.address = { url: `http://${shownHost}:${bound}`, port: bound };
    this.tick = setInterval(() => {
      if (this.stream.size > 0) this.stream.send("status", this.statusBody());
    }, STATUS_TICK_MS);
    this.tick.unref();
    return this.address;
  }

  /** The bound address, once started. */
  get listening(): ListeningAddress | undefined {
    return this.address;
  }

  /** Serves `cache` from now on and streams its changes to connected pages. */
  attach(cache: LatticeCache): void {
    this.cache = cache;
    this.problem = undefined;
    this.detachChanges?.();
    this.detachChanges = cache.onChange((event) => {
      this.stream.send("change", {
        collection: event.collection,
        key: event.key,
        operation: event.operation,
        revision: event.revision,
        origin: event.origin ?? null,
        value: event.value ?? null,
      });
    });
    this.stream.send("status", this.statusBody());
  }

  /** Adds a section to `/status` (and, with `ready`, a condition to `/readyz`). */
  addSection(section: StatusSection): void {
    this.sections.push(section);
  }

  /** What /status says while the backend cannot be opened yet. */
  reportProblem(problem: string | undefined): void {
    this.problem = problem;
  }

  /** Ends event streams and open connections, then closes the listener. Idempotent. */
  async stop(): Promise<void> {
    if (this.tick) clearInterval(this.tick);
    this.detachChanges?.();
    this.stream.close();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://host").pathname;
    const post = this.postRoutes[path];
    const route = req.method === "POST" && post ? post : this.routes[path];
    if (!route)
      return sendJson(res, 404, { error: `no such endpoint ${path}`, endpoints: Object.keys(this.routes) });
    if (route !== post && req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return sendJson(res, 405, { error: `${req.method} is not allowed; use GET` });
    }
    try {
      await route(req, res);
    } catch (error) {
      this.logger.error({ err: error, path }, "HTTP handler failed");
      if (!res.headersSent) sendJson(res, 500, { error: errorText(error) });
      else res.end();
    }
  }

  private readyz(res: ServerResponse): void {
    const status = this.cache?.status();
    // Resyncing still serves a consistent (if older) view; stale means the backend is out of reach.
    const replicaReady = status !== undefined && this.cache?.isReady === true && status.state !== "stale";
    const waitingFor = this.sections.filter((s) => s.ready?.() === false).map((s) => s.name);
    const ready = replicaReady && waitingFor.length === 0;
    sendJson(res, ready ? 200 : 503, {
      ready,
      state: status?.state ?? "connecting",
      ...(waitingFor.length > 0 ? { waitingFor } : {}),
    });
  }

  private entries(res: ServerResponse): void {
    const cache = this.cache;
    if (!cache?.isReady) {
      sendJson(res, 503, { error: "the initial sync has not completed yet" });
      return;
    }
    const handles = { linkdefs: cache.linkdefs, claims: cache.claims, refmaps: cache.refmaps } as const;
    const collections = {} as Record<CollectionName, unknown[]>;
    for (const name of COLLECTION_NAMES) {
      collections[name] = handles[name]
        .entries()
        .map((e) => ({ key: e.key, revision: e.revision, origin: e.origin ?? null, value: e.value }));
    }
    sendJson(res, 200, { revision: cache.status().revision, collections });
  }

  private events(res: ServerResponse): void {
    this.stream.add(res);
    this.stream.send("status", this.statusBody(), res);
  }

  /** The /status body: core `status()` with `prefix` and `uptimeSeconds`, unknowns as `null`. */
  statusBody(): Record<string, unknown> {
    const common = {
      prefix: this.config.prefix,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      ...Object.fromEntries(this.sections.map((s) => [s.name, s.status()])),
    };
    if (!this.cache) {
      return {
        state: "connecting",
        hostId: this.config.hostId ?? null,
        backend: this.config.backend,
        revision: 0,
        backendRevision: null,
        lag: 0,
        digest: null,
        counts: { linkdefs: 0, claims: 0, refmaps: 0 },
        lastError: this.problem ?? null,
        ...common,
      };
    }
    const s = this.cache.status();
    return {
      ...s,
      backendRevision: s.backendRevision ?? null,
      staleSince: s.staleSince ?? null,
      lastError: s.lastError ?? null,
      ...common,
    };
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, "application/json; charset=utf-8", `${JSON.stringify(body, null, 2)}\n`);
}
