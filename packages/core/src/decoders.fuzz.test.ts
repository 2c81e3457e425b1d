// Rules cited here: docs/semantics.md#rule-11.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { claimsCodec } from "./claims.js";
import { InvalidEntryError, InvalidKeyError } from "./errors.js";
import { assertKeySafe } from "./keys.js";
import { linkdefsCodec } from "./linkdefs.js";
import { refmapsCodec } from "./refmaps.js";

// Issue 8 / rule 11: no input crashes a decoder; each either yields a value or a typed error
// (InvalidEntryError, or InvalidKeyError for a claims sub that cannot be a key).
const RUNS = 10_000;
const codecs = [
  ["linkdefs", linkdefsCodec, "LINKDEF_B40411AD09B70A2C83D59923584F66BA2C5A3C274DC4F19416DA49CCD6531F9C"],
  ["claims", claimsCodec, "CLAIMS_MBOB"],
  ["refmaps", refmapsCodec, "REFMAP_eA"],
] as const;

function expectTypedRejection(error: unknown): void {
  expect(error instanceof InvalidEntryError || error instanceof InvalidKeyError).toBe(true);
}

function decodesOrRejectsTyped(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    expectTypedRejection(error);
  }
}

/** JSON-ish objects shaped like the wire values, with fields of random types. */
const wireish = fc.dictionary(
  fc.constantFrom(
    "id",
    "actor_id",
    "provider_id",
    "link_name",
    "contract_id",
    "values",
    "sub",
    "caps",
    "tags",
    "rev",
    "call_alias",
    "oci_url",
    "public_key",
    "name",
  ),
  fc.oneof(
    fc.string(),
    fc.integer(),
    fc.constant(null),
    fc.array(fc.string()),
    fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
    fc.boolean(),
  ),
);

describe("decoders never crash (fuzzed, 10k cases each)", () => {
  for (const [name, codec, key] of codecs) {
    it(`${name}: arbitrary bytes`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) =>
          decodesOrRejectsTyped(() => codec.decode(bytes, key)),
        ),
        { numRuns: RUNS },
      );
    });

    it(`${name}: arbitrary JSON values`, () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) =>
          decodesOrRejectsTyped(() => codec.decode(new TextEncoder().encode(JSON.stringify(value)), key)),
        ),
        { numRuns: RUNS },
      );
    });

    it(`${name}: wire-shaped objects with wrong field types round-trip when accepted`, () => {
      fc.assert(
        fc.property(wireish, (record) => {
          let value: unknown;
          try {
            value = codec.parse(record);
          } catch (error) {
            expectTypedRejection(error);
            return;
          }
          // Whatever is accepted is canonical: encoding and decoding it again changes nothing.
          const encode = codec.encode as (v: unknown) => Uint8Array;
          const keyOf = codec.keyOfValue as (v: unknown) => string;
          expect(codec.decode(encode(value), keyOf(value))).toEqual(value);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it("key checks: any string is either subject-safe or refused with InvalidKeyError", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (key) => {
        try {
          assertKeySafe(key);
          expect(key).toMatch(/^[A-Za-z0-9_=-]+$/);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidKeyError);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
