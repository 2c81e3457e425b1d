// Generation-2 records (docs/wire-formats.md): JSON bodies on `lc.{prefix}.{claims,linkdefs,refmap,ocimap}.{token}`
// in the `LATTICECACHE_{prefix}` stream, turned into generation-3 records (link-definition ids recomputed).
import { linkdefKey } from "@lattice-cache/core";
import { errorText } from "@lattice-cache/core/backend";
import { type LegacyRecord, recordOf } from "./legacy-wire-codec.js";

/** The stream old (generation-2) hosts kept their cache in. */
export function generation2StreamName(prefix: string): string {
  return `LATTICECACHE_${prefix}`;
}

/** The subject filter of that stream. */
export function generation2Subjects(prefix: string): string {
  return `lc.${prefix}.>`;
}

/** What one generation-2 message holds. */
export type Generation2Message =
  | { readonly kind: "record"; readonly record: LegacyRecord }
  /** A link definition marked `deleted: true`; `key` when its natural key could be read. */
  | { readonly kind: "deleted"; readonly key: string | undefined }
  | { readonly kind: "invalid"; readonly reason: string };

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Parses one message of the generation-2 stream. Never throws. */
export function parseGeneration2Message(
  prefix: string,
  subject: string,
  data: Uint8Array,
): Generation2Message {
  const base = `lc.${prefix}.`;
  if (!subject.startsWith(base)) return { kind: "invalid", reason: `subject ${subject} is outside ${base}>` };
  const kind = subject.slice(base.length).split(".")[0];
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(data));
  } catch (error) {
    return {
      kind: "invalid",
      reason: `body is not JSON (${errorText(error)})`,
    };
  }
  switch (kind) {
    case "claims":
      return asMessage(recordOf("claims", body));
    case "refmap":
    case "ocimap":
      return asMessage(recordOf("refmaps", body));
    case "linkdefs": {
      if (typeof body === "object" && body !== null && (body as { deleted?: unknown }).deleted === true) {
        return { kind: "deleted", key: naturalLinkdefKey(body as Record<string, unknown>) };
      }
      // The id in the subject and the body came from several generations of id schemes: recomputed.
      return asMessage(recordOf("linkdefs", body));
    }
    default:
      return { kind: "invalid", reason: `unknown generation-2 subject ${subject}` };
  }
}

function asMessage(result: ReturnType<typeof recordOf>): Generation2Message {
  return result.ok ? { kind: "record", record: result.record } : { kind: "invalid", reason: result.reason };
}

function naturalLinkdefKey(body: Record<string, unknown>): string | undefined {
  const { actor_id, contract_id, link_name } = body;
  if (typeof actor_id !== "string" || typeof contract_id !== "string") return undefined;
  return linkdefKey(
    actor_id,
    contract_id,
    typeof link_name === "string" && link_name !== "" ? link_name : "default",
  );
}
