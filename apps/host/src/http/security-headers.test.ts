// Issue 27 items 3 and 8: what every answer of the host tells a browser — no sniffing, no framing, no referrer, no
// storing of entries — and the pages' Content-Security-Policy (their own inline script and style by hash,
// requests to their own origin, nothing else), over real HTTP and in headless Chromium: under it a planted
// `javascript:` link runs nothing, and a page of another origin cannot frame the status page.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { waitFor } from "@lattice-cache/test-harness";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cspViolations, launchChromium, PAGE_WAIT_MS, until } from "./browser.test-helpers.js";
import { getWithHost, type RawAnswer, rawRequest, type Serving, startServing } from "./http.test-helpers.js";

const TOKEN = `headers-token-${randomBytes(12).toString("hex")}`;
let open: Serving;
let guarded: Serving;

beforeAll(async () => {
  open = await startServing("headers-open");
  guarded = await startServing("headers-token", { LATTICE_HTTP_TOKEN: TOKEN });
});

afterAll(async () => {
  await open.stop();
  await guarded.stop();
});

const get = (s: Serving, path: string, extra: string[] = []) =>
  getWithHost(s.port, path, `127.0.0.1:${s.port}`, extra);

/** Every kind of answer the host gives, by name. */
async function everyAnswer(): Promise<Record<string, RawAnswer>> {
  const bearer = `Authorization: Bearer ${TOKEN}`;
  return {
    "/": await get(open, "/"),
    "/healthz": await get(open, "/healthz"),
    "/readyz": await get(open, "/readyz"),
    "/metrics": await get(open, "/metrics"),
    "/status": await get(open, "/status"),
    "/entries": await get(open, "/entries"),
    "/events": await get(open, "/events"),
    "/lattice": await get(open, "/lattice"),
    "404": await get(open, "/nowhere"),
    "405": await rawRequest(
      open.port,
      `DELETE /status HTTP/1.1\r\nHost: 127.0.0.1:${open.port}\r\nConnection: close`,
    ),
    "421 (foreign Host)": await getWithHost(open.port, "/entries", "rebind.attacker.example"),
    "401 sign-in page": await get(guarded, "/"),
    "401 JSON": await get(guarded, "/entries"),
    "303 sign-in redirect": await get(guarded, `/?token=${TOKEN}`),
    "/ with the token": await get(guarded, "/", [bearer]),
    "/events with the token": await get(guarded, "/events", [bearer]),
  };
}

describe("on every answer", () => {
  it("issue 27 item 8: X-Content-Type-Options: nosniff, X-Frame-Options: DENY, Referrer-Policy: no-referrer and a CSP with frame-ancestors 'none'", async () => {
    for (const [name, r] of Object.entries(await everyAnswer())) {
      expect(r.headers["x-content-type-options"], name).toBe("nosniff");
      expect(r.headers["x-frame-options"], name).toBe("DENY");
      expect(r.headers["referrer-policy"], name).toBe("no-referrer");
      expect(r.headers["content-security-policy"], name).toContain("frame-ancestors 'none'");
      expect(r.headers["content-security-policy"], name).toContain("default-src 'none'");
    }
  });

  it("issue 27 item 8: answers that carry entries or could are never stored (Cache-Control: no-store)", async () => {
    const answers = await everyAnswer();
    for (const name of [
      "/",
      "/status",
      "/entries",
      "/events",
      "/lattice",
      "/ with the token",
      "/events with the token",
    ]) {
      expect(answers[name]?.headers["cache-control"], name).toMatch(/\bno-store\b/);
    }
  });

  it("issue 27 item 3: the pages' CSP lets in only their own inline script and style (by hash) and requests to their origin", async () => {
    for (const [name, r] of Object.entries(await everyAnswer())) {
      if (!r.headers["content-type"]?.startsWith("text/html")) continue;
      const csp = r.headers["content-security-policy"] as string;
      const directives = new Map(
        csp.split(";").map((d) => {
          const [key = "", ...values] = d.trim().split(/\s+/);
          return [key, values.join(" ")] as const;
        }),
      );
      const inline = (tag: string) =>
        [...r.body.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map(
          (m) =>
            `'sha256-${createHash("sha256")
              .update(m[1] as string)
              .digest("base64")}'`,
        );
      expect(inline("script").length, name).toBe(1);
      expect(directives.get("script-src"), name).toBe(inline("script").join(" "));
      expect(directives.get("style-src"), name).toBe(inline("style").join(" "));
      expect(directives.get("connect-src"), name).toBe("'self'");
      expect(directives.get("object-src"), name).toBe("'none'");
      expect(directives.get("base-uri"), name).toBe("'none'");
      expect(directives.get("form-action"), name).toBe("'self'");
      expect(directives.get("frame-ancestors"), name).toBe("'none'");
      expect(csp, name).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    }
  });
});

describe("in headless Chromium", () => {
  let browser: Browser | undefined;
  let framer: Server | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (framer ? framer.close(() => resolve()) : resolve()));
  });

  it("issue 27 item 3: under the CSP a javascript: link planted in the page runs nothing (the browser reports the violation)", async () => {
    const page = await (browser as Browser).newPage();
    const reported = cspViolations(page.context());
    try {
      await page.goto(`${open.base}/`);
      await until(page, "state", "live");
      // Planted through the DevTools protocol, which the page's CSP does not govern: as if the page had built it.
      await page.evaluate(`(() => {
        globalThis.violations = [];
        document.addEventListener("securitypolicyviolation", (e) => violations.push(e.effectiveDirective));
        const a = document.createElement("a");
        a.id = "planted";
        a.href = "javascript:void(document.title='planted script ran')//";
        a.textContent = "planted";
        document.body.prepend(a);
      })()`);
      await page.click("#planted");
      const blocked = () => page.evaluate("violations.some((d) => d.startsWith('script-src'))");
      await waitFor(async () => (await blocked()) === true, {
        timeoutMs: PAGE_WAIT_MS,
        what: "the browser to report the javascript: URL it blocked",
      });
      expect(await page.title()).toBe("lattice host");
      // What the other browser tests count on to tell that their pages ran under the CSP untouched.
      await waitFor(() => reported.length > 0, { timeoutMs: PAGE_WAIT_MS, what: "the console report" });
    } finally {
      await page.close();
    }
  });

  it("issue 27 item 8: a page of another origin cannot frame the status page", async () => {
    const s = createServer((_, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(
        `<!doctype html><title>framer</title><iframe src="${open.base}/" width="800" height="600"></iframe>`,
      );
    });
    framer = s;
    await new Promise<void>((resolve) => s.listen({ host: "127.0.0.1", port: 0 }, resolve));
    const framerUrl = `http://127.0.0.1:${(s.address() as { port: number }).port}/`;
    const page = await (browser as Browser).newPage();
    const refusals: string[] = [];
    page.on("console", (m) => {
      if (/frame-ancestors|X-Frame-Options/.test(m.text())) refusals.push(m.text());
    });
    try {
      await page.goto(framerUrl);
      const framedPage = async () => {
        const frame = page.frames().find((f) => f.url().startsWith(`${open.base}/`));
        return frame !== undefined && (await frame.getByTestId("state").count()) > 0;
      };
      await waitFor(async () => refusals.length > 0 || (await framedPage()), {
        timeoutMs: PAGE_WAIT_MS,
        what: "the frame to be refused or to show the status page",
      });
      expect(await framedPage()).toBe(false);
      expect(refusals.join("\n")).toMatch(/blocked|Refused/);
    } finally {
      await page.close();
    }
  });
});
