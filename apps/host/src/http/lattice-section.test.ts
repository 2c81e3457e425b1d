// The status page's Lattice section in a real headless Chromium, on a jetstream lattice: a spawned
// `lattice host` serves the page (on loopback with no token: open, as always); a second host, started in this
// process while the page is open, appears without a reload; its replica corrupted (core's testing door) turns
// the rows red with SPLIT BRAIN. Takes a screenshot of the page with two hosts; with LATTICE_UPDATE_SCREENSHOTS=1
// it becomes docs/images/status-page.png (the README shows it), otherwise it goes to a temporary folder.
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type LatticeCache, refmapKey } from "@lattice-cache/core";
import { corruptReplica } from "@lattice-cache/core/testing";
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHostContainer } from "../composition/host-container.js";
import { loadConfig } from "../config/load-config.js";
import { createHostLogger } from "../observability/host-logger.js";
import { HostRuntime } from "../runtime/host-runtime.js";
import {
  cleanEnv,
  killAllLattice,
  LatticeProcess,
  REPO_ROOT,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";
import {
  launchChromium,
  markDocument,
  notReloaded,
  PAGE_WAIT_MS,
  text,
  until,
  untilContains,
} from "./browser.test-helpers.js";

const PREFIX = "glance";
const dir = mkdtempSync(join(tmpdir(), "lattice-glance-"));
const SCREENSHOT =
  process.env.LATTICE_UPDATE_SCREENSHOTS === "1"
    ? join(REPO_ROOT, "docs", "images", "status-page.png")
    : join(dir, "status-page.png");
const env = cleanEnv({ XDG_DATA_HOME: dir });
let nats: NatsServerHandle;
let browser: Browser | undefined;
let url: string;
let second: HostRuntime | undefined;

function lattice(args: readonly string[]) {
  return runLattice([...args, "--nats-url", nats.url, "--prefix", PREFIX], { env });
}

beforeAll(async () => {
  browser = await launchChromium();
  nats = await startNatsServer();
  const seeded = await Promise.all([
    lattice([
      "linkdefs",
      "put",
      "--actor",
      "Mweb",
      "--provider",
      "Vhttp",
      "--contract",
      "wasmcloud:httpserver",
    ]),
    lattice(["refmaps", "put", "ghcr.io/acme/web:1.0.0", "Mweb"]),
  ]);
  for (const r of seeded) expect(r.code, r.stderr).toBe(0);
  const host = LatticeProcess.start(
    ["host", "--host-id", "glance-a", "--http-port", "0", "--nats-url", nats.url, "--prefix", PREFIX],
    { env },
  );
  url = (await host.waitForOutput(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
  await host.waitForOutput(/answering status requests/, { stream: "stderr" });
  await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, { what: "host /readyz 200" });
});

afterAll(async () => {
  await browser?.close();
  await second?.stop();
  await killAllLattice();
  await disposeAll();
  rmSync(dir, { recursive: true, force: true });
});

/** A second host in this process (so the test can reach its replica), on the same lattice. */
async function startSecondHost(): Promise<LatticeCache> {
  const config = loadConfig({
    flags: { natsUrl: nats.url, prefix: PREFIX, hostId: "glance-b", httpPort: "0" },
    env: {},
    backends: ["jetstream"],
  });
  second = createHostContainer(config, { logger: createHostLogger("silent") }).resolve(HostRuntime);
  await second.start();
  await second.answering();
  return second.ready(PAGE_WAIT_MS);
}

/** What the test reads of the page's window (the host's tsconfig has no DOM library). */
interface BrowserGlobals {
  getComputedStyle(element: unknown): { color: string };
}

const row = (page: Page, hostId: string) =>
  page.locator(`[data-testid=table-lattice] tr[data-host="${hostId}"]`);

/** Waits until `hostId`'s lag chart has at least `n` points. */
async function untilChartPoints(page: Page, hostId: string, n: number): Promise<void> {
  await waitFor(async () => Number(await row(page, hostId).locator("svg").getAttribute("data-points")) >= n, {
    timeoutMs: PAGE_WAIT_MS * 2,
    what: `${hostId}'s lag chart to hold ${n} points`,
  });
}

describe("the Lattice section", () => {
  it("lists a second host without a reload, charts lag per host, and turns a split brain red", async () => {
    const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`${url}/`);
      await until(page, "state", "live");
      await row(page, "glance-a").waitFor({ timeout: PAGE_WAIT_MS });
      expect(await row(page, "glance-a").textContent()).toContain("(this host)");
      expect(await row(page, "glance-b").count()).toBe(0);
      await markDocument(page);

      const cacheB = await startSecondHost();
      await row(page, "glance-b").waitFor({ timeout: PAGE_WAIT_MS });
      expect(await notReloaded(page)).toBe(true);

      // A write both hosts apply: equal revisions, so their digests are compared.
      const put = await lattice(["refmaps", "put", "ghcr.io/acme/api:2.1.0", "Mapi"]);
      expect(put.code, put.stderr).toBe(0);
      await untilContains(page, "agreement-glance-a", "agrees");
      await untilContains(page, "agreement-glance-b", "agrees");
      await until(page, "lattice-verdict", "in agreement");
      for (const id of ["glance-a", "glance-b"]) {
        const cells = await row(page, id).locator("td").allTextContents();
        expect(cells.slice(1, 5), id).toEqual(["jetstream", "live", cells[3], "0"]);
        expect(Number(cells[3]), id).toBeGreaterThan(0);
      }
      expect(await row(page, "glance-a").locator("td").nth(3).textContent()).toBe(
        await row(page, "glance-b").locator("td").nth(3).textContent(),
      );
      expect(await text(page, "rate-applied")).not.toBe("–");
      // A little traffic for the charts, then a picture of the lattice in agreement.
      for (const version of ["2.2.0", "2.3.0", "2.4.0"]) {
        const more = await lattice(["refmaps", "put", `ghcr.io/acme/api:${version}`, "Mapi"]);
        expect(more.code, more.stderr).toBe(0);
      }
      await untilChartPoints(page, "glance-b", 5);
      // Those changes reached glance-a live: its propagation delay reads "<p50> / <p99>", no timing asserted.
      await untilContains(page, "rate-propagation", " / ");
      expect(Number(await text(page, "propagation-n"))).toBeGreaterThan(0);
      await untilContains(page, "agreement-glance-b", "agrees");
      await until(page, "lattice-verdict", "in agreement");

      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);

      expect(corruptReplica(cacheB, refmapKey("ghcr.io/acme/api:2.1.0"), { tampered: true })).toBe(true);
      await untilContains(page, "agreement-glance-b", "SPLIT BRAIN with glance-a");
      await untilContains(page, "agreement-glance-a", "SPLIT BRAIN with glance-b");
      expect(await row(page, "glance-b").getAttribute("class")).toBe("split-brain");
      const red = await row(page, "glance-b")
        .locator("td")
        .first()
        .evaluate((td) => (globalThis as unknown as BrowserGlobals).getComputedStyle(td).color);
      expect(red).toBe("rgb(214, 69, 69)");
      await untilContains(page, "lattice-verdict", "SPLIT BRAIN at revision");
      expect(await notReloaded(page)).toBe(true);
    } finally {
      await page.close();
    }
  });
});
