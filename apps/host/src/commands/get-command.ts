// `lattice get <storage key>`: the raw stored entry of one key, read from the backend itself (no replica, no
// initial sync): its value as stored, revision, origin, and whether it is a delete marker.
import { type CollectionName, errorText } from "@lattice-cache/core";
import type { BackendEntry } from "@lattice-cache/core/backend";
import type { Command } from "commander";
import { checkedStorageKey } from "../cli/checked-input.js";
import type { CliContext } from "../cli/cli-context.js";
import { EntryNotFoundError, UsageError } from "../cli/cli-errors.js";
import { COLLECTION_CODECS } from "../cli/collection-codecs.js";
import { READ_ONLY } from "../cli/one-shot.js";
import { withOpenBackend } from "../cli/one-shot-backend.js";
import { formatFields } from "../cli/text-table.js";

/** What `lattice get --json` prints (one line). */
export interface RawEntryReport {
  readonly key: string;
  readonly collection: CollectionName;
  readonly revision: number;
  readonly origin?: string;
  /** ISO 8601, when the backend records it. */
  readonly writtenAt?: string;
  /** True for a delete marker (tombstone): `value` is then null. */
  readonly deleted: boolean;
  /** The stored JSON, parsed; the stored text when it is not JSON; null for a delete marker. */
  readonly value: unknown;
  /** Why replicas ignore the stored value (not JSON, fails the collection's schema), when they do. */
  readonly invalid?: string;
}

/** Adds `get` to `program`. */
export function registerGetCommand(program: Command, ctx: CliContext): void {
  program
    .command("get")
    .description(
      "show the raw stored entry of one storage key (LINKDEF_…, CLAIMS_…, REFMAP_…), read from the backend",
    )
    .argument("<key>", "storage key, e.g. LINKDEF_<id>, CLAIMS_<sub>, REFMAP_<base64url OCI reference>")
    .action(async (key: string, _opts: unknown, command: Command) => {
      const collection = checkedStorageKey(key);
      await withOpenBackend(
        ctx,
        command,
        {
          check: (backend, config) => {
            if (!backend.read) {
              throw new UsageError(
                `the ${config.backend} backend cannot read single keys; choose jetstream, redis or postgres`,
              );
            }
          },
          act: async (backend) => {
            const entry = await backend.read?.(key);
            if (!entry) throw new EntryNotFoundError(collection, `under key ${key}`);
            printRawEntry(ctx, ctx.json(command), rawEntryReport(entry, collection));
          },
        },
        READ_ONLY,
      );
    });
}

/** Describes a stored entry: its value decoded as far as it goes, and checked as replicas check it. */
export function rawEntryReport(entry: BackendEntry, collection: CollectionName): RawEntryReport {
  const base = {
    key: entry.key,
    collection,
    revision: entry.revision,
    ...(entry.origin ? { origin: entry.origin } : {}),
    ...(entry.writtenAt !== undefined ? { writtenAt: new Date(entry.writtenAt).toISOString() } : {}),
  };
  if (entry.value === null) return { ...base, deleted: true, value: null };
  const text = Buffer.from(entry.value).toString("utf8");
  const parsed = parseJson(text);
  if (!parsed.ok) return { ...base, deleted: false, value: text, invalid: parsed.issue };
  try {
    COLLECTION_CODECS[collection].decode(entry.value, entry.key);
    return { ...base, deleted: false, value: parsed.value };
  } catch (error) {
    return { ...base, deleted: false, value: parsed.value, invalid: errorText(error) };
  }
}

function printRawEntry(ctx: CliContext, json: boolean, report: RawEntryReport): void {
  if (json) {
    ctx.print(JSON.stringify(report));
    return;
  }
  ctx.print(
    formatFields([
      ["key", report.key],
      ["collection", report.collection],
      ["revision", String(report.revision)],
      ...(report.origin ? [["origin", report.origin] as const] : []),
      ...(report.writtenAt ? [["written at", report.writtenAt] as const] : []),
      ["deleted", report.deleted ? "yes (delete marker)" : "no"],
      ...(report.invalid ? [["invalid", `${report.invalid} (replicas ignore it)`] as const] : []),
    ]),
  );
  if (!report.deleted) {
    ctx.print(
      typeof report.value === "string" && report.invalid
        ? report.value
        : JSON.stringify(report.value, null, 2),
    );
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; issue: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, issue: `the value is not JSON (${errorText(error)})` };
  }
}
