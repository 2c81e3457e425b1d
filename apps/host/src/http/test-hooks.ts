// Test-only HTTP hooks, mounted only when the host runs with LATTICE_TEST_HOOKS=1: they exist so split-brain
// detection can be tested end to end against real processes, and must never be reachable in production.
import type { IncomingMessage } from "node:http";
import type { LatticeCache } from "@lattice-cache/core";

/** The environment variable that enables the hooks (value `1`). */
export const TEST_HOOKS_VARIABLE = "LATTICE_TEST_HOOKS";

/** Largest request body a hook reads. */
const MAX_BODY_BYTES = 64 * 1024;

/** True when `env` enables the test hooks. */
export function testHooksEnabled(env: Readonly<Record<string, string | undefined>>): boolean {
  return env[TEST_HOOKS_VARIABLE] === "1";
}

/**
 * `POST /test/corrupt` with `{"key": "CLAIMS_…", "value": {…}}`: replaces the live value of `key` in this
 * host's replica without a write (`LatticeCache.corruptReplicaForTesting`), so its digest changes while its
 * revision does not. 200 with the new digest; 404 when the key is not live; 400 for a bad body; 503 before
 * the backend is open.
 */
export async function corruptReplica(
  cache: LatticeCache | undefined,
  request: IncomingMessage,
): Promise<{ status: number; body: Record<string, unknown> }> {
  if (!cache?.isReady) return { status: 503, body: { error: "the initial sync has not completed yet" } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readBody(request));
  } catch (error) {
    return { status: 400, body: { error: `the body is not JSON: ${(error as Error).message}` } };
  }
  const key = (parsed as { key?: unknown } | null)?.key;
  if (typeof key !== "string" || !("value" in (parsed as object))) {
    return { status: 400, body: { error: 'expected {"key": string, "value": any}' } };
  }
  if (!cache.corruptReplicaForTesting(key, (parsed as { value: unknown }).value)) {
    return { status: 404, body: { error: `no live entry ${key} in this replica` } };
  }
  const status = cache.status();
  return { status: 200, body: { corrupted: key, revision: status.revision, digest: status.digest } };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
