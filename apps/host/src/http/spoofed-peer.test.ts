// Issue 27 item 3 (stored XSS through a spoofed host link), in headless Chromium: a peer that answers the
// lattice status channel with `http: "javascript:…"` must not get a link on the status page that runs script —
// end to end through the memory backend's status channel, and for the page on its own, whatever /lattice says
// (the page links a peer only when its address is an http: or https: URL, and shows the rest as plain text).

import type { HostStatusReport, StatusBus } from "@lattice-cache/plugin";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHostContainer } from "../composition/host-container.js";
import { resolveToken, STATUS_BUS_FACTORY } from "../composition/tokens.js";
import { loadConfig } from "../config/load-config.js";
import { createHostLogger } from "../observability/host-logger.js";
import { cspViolations, launchChromium, PAGE_WAIT_MS, until, untilContains } from "./browser.test-helpers.js";
import { type Serving, startServing } from "./http.test-helpers.js";

const PREFIX = "spoofed";
/** What a spoofed peer's script does if it ever runs: the tab's title says so. */
const RAN = "spoofed script ran";
const XSS = `javascript:void(document.title='${RAN}')//`;
/** How long a click is given to run a script it should not run (the assertion cannot fail by waiting less). */
const SETTLE_MS = 1000;

let s: Serving;
let browser: Browser | undefined;
const buses: StatusBus[] = [];

/** The lattice's status channel as another host of it would have it (the memory backend's, through the registry). */
function statusChannel(hostId: string): StatusBus {
  const config = loadConfig({
    flags: { backend: "memory", prefix: PREFIX, hostId },
    env: {},
    backends: ["memory"],
  });
  const bus = resolveToken(
    createHostContainer(config, { logger: createHostLogger("silent") }),
    STATUS_BUS_FACTORY,
  )();
  if (bus === undefined) throw new Error("the memory backend has no status channel");
  return bus;
}

function peer(hostId: string, http: string | null): HostStatusReport {
  return {
    hostId,
    backend: "memory",
    prefix: PREFIX,
    state: "live",
    ordered: true,
    revision: 0,
    backendRevision: 0,
    digest: null,
    counts: { linkdefs: 0, claims: 0, refmaps: 0 },
    staleForMs: 0,
    version: "0.0.0-test",
    http,
  };
}

beforeAll(async () => {
  browser = await launchChromium();
  s = await startServing(PREFIX);
  await s.cache.linkdefs.put({
    actor_id: "Mbob",
    provider_id: "Vkv",
    contract_id: "wasmcloud:keyvalue",
    values: { PASSWORD: "provider-secret" },
  });
  for (const report of [peer("spoofed-peer", XSS), peer("honest-peer", "http://127.0.0.1:9")]) {
    const bus = statusChannel(report.hostId);
    await bus.serve(() => report);
    buses.push(bus);
  }
});

afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  await browser?.close();
  await s?.stop();
});

const hostCell = (page: Page, hostId: string) =>
  page.locator(`[data-testid=table-lattice] tr[data-host="${hostId}"] td`).first();

/** The href of every link on the page. */
const hrefs = (page: Page) =>
  page.evaluate("[...document.querySelectorAll('a')].map((a) => a.href)") as Promise<string[]>;

describe("a peer answering the status channel with a javascript: address", () => {
  it("issue 27 item 3: clicking its name on the status page runs nothing, and the page holds no javascript: link", async () => {
    const page = await (browser as Browser).newPage();
    const violations = cspViolations(page.context());
    try {
      await page.goto(`${s.base}/`);
      await until(page, "state", "live");
      await hostCell(page, "honest-peer").waitFor({ timeout: PAGE_WAIT_MS });
      // The spoofed answer shows as a row (or, where the decoder refuses it, as a note): either names it.
      await untilContains(page, "lattice", "spoofed-peer");
      await page.getByText("spoofed-peer").first().click();
      await page.waitForTimeout(SETTLE_MS);
      expect(await page.title()).toBe("lattice host");
      for (const href of await hrefs(page)) expect(href).toMatch(/^https?:\/\//);
      expect(await hostCell(page, "honest-peer").locator("a").getAttribute("href")).toBe(
        "http://127.0.0.1:9/",
      );
      expect(violations, "refused under the CSP: the page's own script and charts").toEqual([]);
    } finally {
      await page.close();
    }
  });
});

describe("the status page on its own, whatever /lattice says", () => {
  const HOSTILE = [
    XSS,
    XSS.replace("javascript", "JaVaScRiPt"),
    `  ${XSS}`,
    XSS.replace("java", "java\t"),
    "data:text/html,<script>document.title='data'</script>",
    "vbscript:msgbox(1)",
    "//evil.example",
    "/relative/path",
    "not a url",
  ];
  const LINKED: Record<string, string> = {
    "http://127.0.0.1:7411": "http://127.0.0.1:7411/",
    "https://lattice-2.example.internal:7411": "https://lattice-2.example.internal:7411/",
  };

  it("issue 27 item 3: links a peer only when its address is an http: or https: URL; the rest is plain text that runs nothing", async () => {
    const page = await (browser as Browser).newPage();
    const violations = cspViolations(page.context());
    try {
      const addresses = [...HOSTILE, ...Object.keys(LINKED)];
      await page.route("**/lattice", async (route) => {
        const view = (await (await route.fetch()).json()) as { now: number; hosts: unknown[] };
        view.hosts = addresses.map((http, i) => ({
          ...peer(`peer-${i}`, http),
          lag: 0,
          behind: false,
          splitBrainWith: [],
          answering: true,
          lastSeen: view.now,
          agreement: "alone",
          self: false,
          history: [[view.now, 0]],
        }));
        await route.fulfill({ json: view });
      });
      await page.goto(`${s.base}/`);
      await hostCell(page, `peer-${addresses.length - 1}`).waitFor({ timeout: PAGE_WAIT_MS });
      for (const [i, http] of addresses.entries()) {
        const cell = hostCell(page, `peer-${i}`);
        const link = LINKED[http];
        if (link === undefined) {
          expect(await cell.locator("a").count(), JSON.stringify(http)).toBe(0);
          expect(await cell.textContent(), JSON.stringify(http)).toBe(`peer-${i}`);
          await cell.click();
        } else {
          expect(await cell.locator("a").getAttribute("href"), http).toBe(link);
        }
      }
      await page.waitForTimeout(SETTLE_MS);
      expect(await page.title()).toBe("lattice host");
      expect(page.url()).toBe(`${s.base}/`);
      expect(violations, "refused under the CSP: nothing was even attempted").toEqual([]);
    } finally {
      await page.close();
    }
  });
});
