// What a status secret must be, wherever it comes from (a setting, a file).

/** The shortest status secret accepted (it is all that tells a host's answer from a forged one). */
export const MIN_STATUS_SECRET_LENGTH = 16;

/** What is wrong with `secret`, or undefined (the message never echoes it: it is a secret). */
export function statusSecretProblem(secret: string): string | undefined {
  return secret.length < MIN_STATUS_SECRET_LENGTH
    ? `must be at least ${MIN_STATUS_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`
    : undefined;
}
