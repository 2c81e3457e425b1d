// One setting of the host's configuration: a zod type (what it accepts, its default) with, registered beside
// it, everything else the host knows about it — its environment variable, its flag, whether it is secret.
// Env and flag bindings, masking, `config print` and the README's table are all derived from these.
import { z } from "zod";

/** What the host knows about a setting beyond its type. */
export interface SettingFacts {
  /** One line for `--help` and the README. */
  readonly description: string;
  /** The environment variable that sets it, e.g. `LATTICE_PREFIX`. */
  readonly env?: string;
  /** Variables read, in this order, when `env` is unset (wasmCloud's names). */
  readonly envFallbacks?: readonly string[];
  /** The global flag that sets it, with its value's name: `--prefix <prefix>`. */
  readonly flag?: string;
  /** A flag of one command that sets it (that command reads it itself), for the README: `bridge --policy`. */
  readonly commandFlag?: string;
  /**
   * `true`: the value is never printed or logged (`***`). `url-credentials`: URL(s) shown as core's
   * `redactUrl` shows them (passwords, tokens and secret parameters masked).
   */
  readonly secret?: true | "url-credentials";
  /** The README's default when the type's own default does not tell it (one chosen at run time). */
  readonly defaultText?: string;
}

/** The facts of every setting, keyed by the setting's schema. */
export const SETTING_FACTS = z.registry<SettingFacts>();

/**
 * `type` (with its `.default()` or `.optional()`) as a setting described by `facts`. A `null` in a file
 * (`port:` with nothing after it) means unset, as an absent key does.
 */
export function setting<T extends z.ZodType>(type: T, facts: SettingFacts) {
  // Typed input: what the setting accepts (or null), so a library caller passing options gets type checking.
  const schema = z.preprocess(
    (value: z.input<T> | null) => (value === null ? undefined : value),
    type,
  );
  SETTING_FACTS.add(schema as z.ZodType, facts);
  return schema;
}

/**
 * A mapping of settings (`http:`, `nats.bucket:`): unknown keys are errors; when absent, its settings take
 * their defaults.
 */
export function settingGroup<S extends z.ZodRawShape>(shape: S) {
  // An absent group is an empty one: each setting in it takes its default.
  return mapping(shape).prefault({} as never);
}

/** The strict object of a group; `must be a mapping` when given anything else. */
export function mapping<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "invalid_type" ? `must be a mapping (got ${describeValue(issue.input)})` : undefined,
  });
}

/** `number 5`, `string "x"`, `a list`, `a mapping`, `null`: what a value is, for messages. */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${quoteValue(value)}`;
}

/** A value as JSON (`"web"`, `70000`), or as text when JSON has no spelling for it (`NaN`, `undefined`). */
export function quoteValue(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
