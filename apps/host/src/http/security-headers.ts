// What every answer of the host's HTTP server tells a browser: do not guess content types, do not show this in a
// frame, send no referrer — and, for the host's own HTML pages, a Content-Security-Policy that runs only the
// page's own inline script and style (by hash), lets it talk only to its own origin, and nothing else. A link or
// markup a peer managed to smuggle into a page (a `javascript:` address, an injected <script>) therefore runs
// nothing.
import { createHash } from "node:crypto";

/** The CSP of every answer that is not one of the host's pages: nothing may load, nothing may frame it. */
const NON_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Headers on every answer (a page's CSP replaces the one here: {@link pagePolicy}). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy": NON_PAGE_POLICY,
};

/**
 * The Content-Security-Policy of one of the host's HTML pages: its inline `<script>` and `<style>` elements by
 * SHA-256 hash (no `'unsafe-inline'`: `javascript:` addresses, inline handlers and injected scripts are
 * refused), `fetch`/`EventSource` to its own origin, images from it (the favicon), forms posting to it, and
 * nothing else — no plugins, no `<base>`, no framing.
 */
export function pagePolicy(html: string): string {
  return [
    "default-src 'none'",
    `script-src ${inlineHashes(html, "script")}`,
    `style-src ${inlineHashes(html, "style")}`,
    "connect-src 'self'",
    "img-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** `'sha256-…'` of each `<tag>…</tag>` element's text (the pages write them without attributes), or `'none'`. */
function inlineHashes(html: string, tag: "script" | "style"): string {
  const hashes = [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map(
    (match) =>
      `'sha256-${createHash("sha256")
        .update(match[1] as string, "utf8")
        .digest("base64")}'`,
  );
  return hashes.length > 0 ? hashes.join(" ") : "'none'";
}
