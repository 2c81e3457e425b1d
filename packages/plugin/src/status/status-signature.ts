// Status answers signed with the lattice's status secret (issue 27 item 5). A host signs the exact bytes of
// its answer — a JSON object carrying the request's nonce — with HMAC-SHA256 keyed with the secret, and puts the
// signature in as the object's last member, `"signature":"<64 hex digits>"`; a requester with the same secret
// removes that member and checks the rest, byte for byte. Older requesters read a signed answer as any other
// (they ignore the extra members).
import { createHmac, timingSafeEqual } from "node:crypto";
import type { PluginHostConfig } from "../plugin-host-config.js";
import { readSecretFile } from "../settings/secret-file.js";
import { statusSecretProblem } from "./status-secret.js";

/** The signature member at the very end of a signed answer. */
const SIGNATURE_MEMBER = /,"signature":"([0-9a-f]{64})"\}$/;

/** The key answers are signed with. It prints as `StatusSecret(***)`: never the secret. */
export class StatusSecret {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** The key of the secret `text` (its UTF-8 bytes). */
  static from(text: string): StatusSecret {
    return new StatusSecret(Buffer.from(text, "utf8"));
  }

  /** HMAC-SHA256 of `bytes` (a string as UTF-8). */
  mac(bytes: string): Buffer {
    return createHmac("sha256", this.#key).update(bytes, "utf8").digest();
  }

  toString(): string {
    return "StatusSecret(***)";
  }

  toJSON(): string {
    return this.toString();
  }
}

/**
 * The status secret configured in `status` (`status.secret`, or the file `status.secretFile` names), or
 * undefined when none is. Throws `ConfigurationError` naming `status.secretFile` when the file cannot be read or
 * holds no acceptable secret (the message never shows the file's content).
 */
export function statusSecretOf(status: Partial<PluginHostConfig["status"]>): StatusSecret | undefined {
  if (status.secret !== undefined) return StatusSecret.from(status.secret);
  if (status.secretFile === undefined) return undefined;
  return StatusSecret.from(
    readSecretFile(status.secretFile, "status.secretFile", "secret", statusSecretProblem),
  );
}

/** `body` — the text of a JSON object — with its signature as the last member. */
export function signAnswer(body: string, secret: StatusSecret): string {
  return `${body.slice(0, -1)},"signature":"${secret.mac(body).toString("hex")}"}`;
}

/** What a signature check found: signed with the secret, without a signature, or with another one. */
export type SignatureCheck = "signed" | "unsigned" | "wrong signature";

/** Checks the signature of an answer as it arrived, in constant time. */
export function checkAnswerSignature(text: string, secret: StatusSecret): SignatureCheck {
  const match = SIGNATURE_MEMBER.exec(text);
  if (!match) return "unsigned";
  const given = Buffer.from(match[1] as string, "hex");
  return timingSafeEqual(given, secret.mac(`${text.slice(0, match.index)}}`)) ? "signed" : "wrong signature";
}
