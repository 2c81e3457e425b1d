// Metrics whose values live elsewhere (a cache's or a bridge's status) and are read when Prometheus scrapes.
import { Counter, Gauge, type Registry } from "prom-client";

/**
 * A counter mirroring a monotonic total kept elsewhere: each scrape resets it and adds `read()`, so /metrics
 * and the owner's status never drift apart.
 */
export function mirroredCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A gauge set to `read()` at each scrape. */
export function scrapedGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}
