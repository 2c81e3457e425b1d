// What the generated skeleton throws where the postgres backend's own code is still to be written: a typed
// error (`UnsupportedOperationError`, code `UNSUPPORTED`) whose message says what to write there and where
// the rules for it are. Once nothing imports this file any more, delete it.
import { UnsupportedOperationError } from "@lattice-cache/core";

/** The package's guide to writing the backend, part by part. */
export const IMPLEMENTATION_GUIDE = "packages/postgres/README.md#implementing-the-backend";

/**
 * The error for a part not written yet: `postgres backend does not support <part> yet — not implemented:
 * <what to write> (see <where>)`.
 * @param part - the method or hook, e.g. `open()`
 * @param what - what it must do, in a sentence
 * @param see - the document or source file with the rules (default: the package README's guide)
 */
export function notImplemented(
  part: string,
  what: string,
  see: string = IMPLEMENTATION_GUIDE,
): UnsupportedOperationError {
  return new UnsupportedOperationError(`${part} yet — not implemented: ${what} (see ${see})`, "postgres");
}
