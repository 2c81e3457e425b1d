// A secret kept in a file a setting names (`http.tokenFile`, `status.secretFile`): read at start, surrounding
// blanks ignored, checked like the secret itself. Errors name the setting, never the file's content.
import { readFileSync } from "node:fs";
import { ConfigurationError, errorText } from "@lattice-cache/core";

/**
 * The secret in the file at `path`, which the setting `field` names; `what` says what it holds (`token`,
 * `secret`) and `problemOf` what is wrong with a candidate (undefined when nothing is).
 * @throws ConfigurationError naming `field` when the file cannot be read, is empty or holds an unacceptable secret
 */
export function readSecretFile(
  path: string,
  field: string,
  what: string,
  problemOf: (secret: string) => string | undefined,
): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigurationError(`invalid configuration: ${field} cannot be read (${errorText(error)})`, {
      field,
      cause: error,
    });
  }
  const secret = text.trim();
  const problem = secret === "" ? "is empty" : problemOf(secret);
  if (problem !== undefined) {
    throw new ConfigurationError(`invalid configuration: the ${what} in ${field} ${path} ${problem}`, {
      field,
    });
  }
  return secret;
}
