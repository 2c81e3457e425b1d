// Realistic lattice metadata for the benchmarks: link definitions shaped like a wasmCloud lattice's.
import { type LinkDefinition, linkdefsCodec } from "@lattice-cache/core";

/** The i-th sample link definition: ~300 bytes of JSON, actors and providers shared like in real lattices. */
export function sampleLinkdef(i: number): LinkDefinition {
  return linkdefsCodec.parse({
    actor_id: `MACTOR${String(i % 5000).padStart(5, "0")}ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRS`,
    provider_id: `VPROVIDER${String(i % 50).padStart(3, "0")}ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOP`,
    contract_id: "wasmcloud:keyvalue",
    link_name: `link${i}`,
    values: { URL: "redis://127.0.0.1:6379/", ROLE: "primary", n: String(i) },
  });
}

/** The storage key and JSON bytes of a sample link definition. */
export function sampleEntry(i: number): { key: string; bytes: Uint8Array; value: LinkDefinition } {
  const value = sampleLinkdef(i);
  return { key: linkdefsCodec.keyOfValue(value), bytes: linkdefsCodec.encode(value), value };
}
