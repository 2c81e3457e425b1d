// Credentials inside URLs (`nats://user:pw@host`, `redis://:pw@host`) never reach output or logs.

/** What a secret is replaced with. */
export const MASK = "***";

/** `nats://user:pw@host` → `nats://user:***@host`; a lone user part (a token) is masked too. */
export function maskUrlCredentials(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (url.password !== "") url.password = MASK;
  else if (url.username !== "") url.username = MASK;
  else return text;
  return url.toString().replace(/\/$/, text.endsWith("/") ? "/" : "");
}
