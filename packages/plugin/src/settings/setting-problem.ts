// How a bad setting is described — one wording for `lattice` (config file, env, flags) and for a backend
// library's constructor, which parse the same schema: `redis.url must start with redis:// or rediss://
// (got http://)`, then the allowed values when there are some; a URL in the message shown as core's
// `redactUrl` shows it, so neither carries a password.
import { ConfigurationError, redactUrlsInText } from "@lattice-cache/core";
import type { z } from "zod";
import type { ConfigSection } from "./config-section.js";

/** `field message; allowed values: a, b`: one problem with one setting (URLs in the message redacted). */
export function settingProblemText(field: string, message: string, allowed?: readonly string[]): string {
  const choices = allowed ? `; allowed values: ${allowed.join(", ")}` : "";
  return `${field} ${redactUrlsInText(`${message}${choices}`)}`;
}

/** The allowed values an issue names: an enumeration's, a boolean's, or those a check gave (`params.allowed`). */
export function allowedOfIssue(issue: z.core.$ZodIssue): readonly string[] | undefined {
  if (issue.code === "invalid_value") return issue.values.map(String);
  if (issue.code === "invalid_type" && issue.expected === "boolean") return ["true", "false"];
  const allowed = (issue as { params?: { allowed?: unknown } }).params?.allowed;
  return Array.isArray(allowed) ? allowed.map(String) : undefined;
}

/**
 * `options` parsed by `schema` — a backend's options schema, whose settings are also its host config section
 * `section` — or a `ConfigurationError` whose message has one line per problem, worded as `lattice` words the
 * same problem, and whose `field` and `allowed` are the first problem's. Given the section's key, every problem
 * is named under it (`{section}.{path} {message}`); given the section itself, its settings are (`nats.servers`)
 * and any other option by its own name (`prefix`, `getTimeoutMs`; the whole object is `options`), as users
 * write them in either place.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  options: unknown,
  section: string | ConfigSection,
): z.output<S> {
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const nameOf = (path: readonly PropertyKey[]) => {
    const parts = path.map(String);
    if (typeof section === "string") return [section, ...parts].join(".");
    if ((parts[0] ?? "") in section.settings) return [section.key, ...parts].join(".");
    return parts.length > 0 ? parts.join(".") : "options";
  };
  const problems = result.error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => {
        const field = nameOf([...issue.path, key]);
        return { field, allowed: undefined, text: settingProblemText(field, "is not a known option") };
      });
    }
    const field = nameOf(issue.path);
    const allowed = allowedOfIssue(issue);
    return [{ field, allowed, text: settingProblemText(field, issue.message, allowed) }];
  });
  const first = problems[0];
  throw new ConfigurationError(problems.map((p) => p.text).join("\n"), {
    field: first?.field ?? nameOf([]),
    ...(first?.allowed ? { allowed: first.allowed } : {}),
  });
}
