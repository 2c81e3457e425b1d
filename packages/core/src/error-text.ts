// One way to turn anything thrown into a line for logs and status: typed errors keep their code.
import { LatticeCacheError } from "./errors.js";

/** `CODE: message` for a lattice-cache error, the message of any other `Error`, or the thrown value as text. */
export function errorText(error: unknown): string {
  if (LatticeCacheError.isInstance(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
