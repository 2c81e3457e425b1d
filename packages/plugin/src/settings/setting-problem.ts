// How a bad setting is described — one wording for `lattice` (config file, env, flags) and for a backend
// library's constructor, which parse the same schema: `redis.url must start with redis:// or rediss://
// (got http://)`, then the allowed values when there are some.
import { ConfigurationError } from "@lattice-cache/core";
import type { z } from "zod";

/** `field message; allowed values: a, b`: one problem with one setting. */
export function settingProblemText(field: string, message: string, allowed?: readonly string[]): string {
  const choices = allowed ? `; allowed values: ${allowed.join(", ")}` : "";
  return `${field} ${message}${choices}`;
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
 * same problem (`{section}.{path} {message}`), and whose `field` and `allowed` are the first problem's.
 * Options in `topLevel` are host settings outside the section (`prefix`, `hostId`): named without it.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  options: unknown,
  section: string,
  topLevel: readonly string[] = [],
): z.output<S> {
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    const at = topLevel.includes(path[0] as string) ? path : [section, ...path];
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        field: [...at, key].join("."),
        allowed: undefined,
        text: settingProblemText([...at, key].join("."), "is not a known option"),
      }));
    }
    const field = at.join(".");
    const allowed = allowedOfIssue(issue);
    return [{ field, allowed, text: settingProblemText(field, issue.message, allowed) }];
  });
  const first = problems[0];
  throw new ConfigurationError(problems.map((p) => p.text).join("\n"), {
    field: first?.field ?? section,
    ...(first?.allowed ? { allowed: first.allowed } : {}),
  });
}
