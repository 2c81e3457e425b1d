// The kinds of values settings take, as zod types. Each accepts what a file holds and the text the
// environment and flags give (`"9002"`, `"yes"`, `"a,b"`), and says what is wrong in the host's words.
import { z } from "zod";
import { DURATION_EXAMPLES, parseDuration } from "./duration.js";
import { describeValue, quoteValue } from "./setting.js";

/** Text that may be restricted to a pattern. */
export interface TextOptions {
  /** What the trimmed text must match. */
  readonly pattern?: RegExp;
  /** The pattern in words, for messages: `letters, digits, _ and -`. */
  readonly patternText?: string;
}

/** Non-empty text, trimmed; a number in a file is taken as its text (`prefix: 42`). */
export function text(options: TextOptions = {}) {
  const base = z
    .string({ error: (issue) => `must be a string (got ${describeValue(issue.input)})` })
    .trim()
    .min(1, { error: "must not be empty" });
  const { pattern } = options;
  const checked = pattern
    ? base.regex(pattern, {
        error: (issue) =>
          `may only contain ${options.patternText ?? String(pattern)} (got ${quoteValue(issue.input)})`,
      })
    : base;
  return z.preprocess((value) => (typeof value === "number" ? String(value) : value), checked);
}

/** A whole number from `min` to `max`; text holding one counts (`"9002"`). */
export function integer(min: number, max: number) {
  const error = (issue: { readonly input?: unknown }) =>
    `must be an integer from ${min} to ${max} (got ${quoteValue(issue.input)})`;
  return z.preprocess(
    (value) => (typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
    z.number({ error }).int({ error }).min(min, { error }).max(max, { error }),
  );
}

/** One of `values` (surrounding blanks ignored); the issue carries the allowed values. */
export function choice<const T extends readonly [string, ...string[]]>(values: T) {
  return z.preprocess(
    (value) => (typeof value === "string" ? value.trim() : value),
    z.enum(values, {
      error: (issue) => `must be one of the allowed values (got ${quoteValue(issue.input)})`,
    }),
  );
}

/** A duration in ms, written with units (`24h`, `90m`, `1h30m`, `1500ms`) or `0`; see `parseDuration`. */
export function duration() {
  return z.unknown().transform((value, ctx) => {
    const ms = value === 0 ? 0 : typeof value === "string" ? parseDuration(value) : undefined;
    if (ms !== undefined) return ms;
    ctx.addIssue({
      code: "custom",
      message: `must be a duration like ${DURATION_EXAMPLES}, or 0 (got ${quoteValue(value)})`,
    });
    return z.NEVER;
  });
}

const TRUE_WORDS = ["true", "1", "yes", "on"];
const FALSE_WORDS = ["false", "0", "no", "off"];

/** A boolean: `true`/`false`, or as text `true 1 yes on` / `false 0 no off`. */
export function toggle() {
  return z.preprocess(
    (value) => {
      if (typeof value !== "string") return value;
      const word = value.trim().toLowerCase();
      return TRUE_WORDS.includes(word) ? true : FALSE_WORDS.includes(word) ? false : value;
    },
    z.boolean({ error: (issue) => `must be a boolean (got ${quoteValue(issue.input)})` }),
  );
}

const LIST_PROBLEM = "must be a list of strings or a comma-separated string";

/** A non-empty list of non-empty strings, given as a list or as one comma-separated string. */
export function textList() {
  return z
    .preprocess(
      (value) => (typeof value === "string" ? value.split(",") : value),
      z.array(
        z.string({ error: (issue) => `${LIST_PROBLEM} (got a list holding ${describeValue(issue.input)})` }),
        { error: (issue) => `${LIST_PROBLEM} (got ${describeValue(issue.input)})` },
      ),
    )
    .transform((items) => items.map((item) => item.trim()).filter((item) => item.length > 0))
    .refine((items) => items.length > 0, { error: "must not be empty" });
}

const HOST_PORT = /^\[?([^\]]+?)\]?:(\d+)$/;

/**
 * `host:port` (or `[v6]:port`, or with a `redis://` scheme) as its parts; undefined when it is not one —
 * nor is an address with credentials (`user:pw@host:port`).
 */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = HOST_PORT.exec(text.replace(/^rediss?:\/\//, ""));
  const port = Number(match?.[2]);
  return match && port <= 65_535 && !match[1]?.includes("@") ? { host: match[1] as string, port } : undefined;
}

/** A list of `host:port` addresses (a list, or comma-separated). An entry with credentials is never echoed. */
export function hostPortList() {
  return textList().superRefine((items, ctx) => {
    const bad = items.find((item) => parseHostPort(item) === undefined);
    if (bad === undefined) return;
    ctx.addIssue({
      code: "custom",
      message: bad.includes("@")
        ? "entries must be host:port, without credentials (they have settings of their own)"
        : `entries must be host:port (got ${JSON.stringify(bad)})`,
    });
  });
}

/** URL schemes, with the colon: `["nats:", "tls:"]`. The first is assumed when a URL has none. */
export type Schemes = readonly [string, ...string[]];

/** One URL of `schemes`, normalized (`127.0.0.1` → `nats://127.0.0.1`). */
export function url(schemes: Schemes) {
  return text().transform((value, ctx) => normalizeUrl(value, schemes, undefined, ctx));
}

/** URLs of `schemes` as a list or comma string, normalized; `nats:`/`tls:` ones get `defaultPort`. */
export function urlList(schemes: Schemes, defaultPort: number) {
  return textList().transform((items, ctx) =>
    items.map((item) => normalizeUrl(item, schemes, defaultPort, ctx)),
  );
}

function normalizeUrl(
  text: string,
  schemes: Schemes,
  defaultPort: number | undefined,
  ctx: z.RefinementCtx,
): string {
  const problem = (message: string, allowed?: readonly string[]) => {
    ctx.addIssue({ code: "custom", message, input: text, ...(allowed ? { params: { allowed } } : {}) });
    return text;
  };
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `${schemes[0].slice(0, -1)}://${text}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    return problem(`holds an invalid URL ${JSON.stringify(text)}`);
  }
  if (!schemes.includes(parsed.protocol)) {
    return problem(
      `URL ${JSON.stringify(text)} has scheme ${parsed.protocol.slice(0, -1)}`,
      schemes.map((s) => `${s}//`),
    );
  }
  if (parsed.hostname === "") return problem(`URL ${JSON.stringify(text)} has no host`);
  if (
    defaultPort !== undefined &&
    parsed.port === "" &&
    (parsed.protocol === "nats:" || parsed.protocol === "tls:")
  ) {
    parsed.port = String(defaultPort);
  }
  // URL adds a trailing "/" to special-less schemes only when a path was given; keep the user's form otherwise.
  const out = parsed.toString();
  return out.endsWith("/") && !text.endsWith("/") ? out.slice(0, -1) : out;
}
