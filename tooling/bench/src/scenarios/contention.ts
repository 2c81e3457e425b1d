// update.contention: 8 hosts editing one key with update() versus raw get + CAS-put loops; no edit may be lost.
import type { LatticeCache, LinkDefinition } from "@lattice-cache/core";
import type { KV } from "@nats-io/kv";
import type { BenchContext } from "../bench-context.js";
import { type BenchResult, judge } from "../result.js";
import { sampleLinkdef } from "../sample-data.js";

const HOSTS = 8;

/** Runs the contention scenario. */
export async function contentionScenario(ctx: BenchContext): Promise<BenchResult[]> {
  ctx.progress(`update.contention: ${HOSTS} hosts × update() on one key`);
  const base = sampleLinkdef(0);
  const ref = { actor_id: base.actor_id, contract_id: base.contract_id, link_name: base.link_name };
  const bump = (cur: LinkDefinition | undefined): LinkDefinition => ({
    ...base,
    values: { ...base.values, n: String(Number(cur?.values.n ?? 0) + 1) },
  });

  const prefix = ctx.newPrefix("contention");
  const hosts: LatticeCache[] = [];
  for (let i = 0; i < HOSTS; i++) hosts.push(await ctx.cache(prefix, `editor-${i}`));
  await hosts[0]!.linkdefs.put({ ...base, values: { ...base.values, n: "0" } });
  await Promise.all(hosts.map((h) => h.waitForRevision(hosts[0]!.status().revision)));
  let ourEdits = 0;
  const deadline = performance.now() + ctx.sizes.durationMs;
  const started = performance.now();
  await Promise.all(
    hosts.map(async (h) => {
      while (performance.now() < deadline) {
        await h.linkdefs.update(ref, bump);
        ourEdits++;
      }
    }),
  );
  const oursRate = ourEdits / ((performance.now() - started) / 1000);
  await hosts[0]!.checkBackend();
  const final = Number(hosts[0]!.linkdefs.get(ref)?.values.n);
  const lost = ourEdits - final;

  // Peer: get + put with previousSeq, retried on "wrong last sequence". Bare: get + put without the check.
  const peer = await rawEdits(ctx, true);
  const bare = await rawEdits(ctx, false);
  return [
    judge({
      name: "update.contention",
      ours: oursRate,
      baseline: {
        value: peer.rate,
        does: `${HOSTS} raw clients: kv.get, then kv.put with previousSeq, again on conflict`,
      },
      bare: {
        value: bare.rate,
        does: `${HOSTS} raw clients: kv.get, then kv.put without a check (loses edits)`,
      },
      unit: "edits/s",
      goal: { kind: "ratio-at-least", value: 1 },
      notes: `lost edits: ours ${lost}, peer ${peer.lost}, bare ${bare.lost}`,
    }),
  ].map((r) => (lost === 0 ? r : { ...r, pass: false }));
}

/** HOSTS raw clients incrementing one counter for the run's duration; `cas` puts with previousSeq. */
async function rawEdits(ctx: BenchContext, cas: boolean): Promise<{ rate: number; lost: number }> {
  const rawPrefix = ctx.newPrefix("contention");
  const key = "LINKDEF_CONTENDED";
  const kvs: KV[] = [];
  for (let i = 0; i < HOSTS; i++) kvs.push(await ctx.rawKv(rawPrefix, await ctx.rawConnection()));
  await kvs[0]!.put(key, JSON.stringify({ n: 0 }));
  let edits = 0;
  const deadline = performance.now() + ctx.sizes.durationMs;
  const started = performance.now();
  await Promise.all(
    kvs.map(async (kv) => {
      while (performance.now() < deadline) {
        for (;;) {
          const entry = await kv.get(key);
          const n = (entry?.json<{ n: number }>().n ?? 0) + 1;
          try {
            await kv.put(key, JSON.stringify({ n }), cas ? { previousSeq: entry?.revision ?? 0 } : undefined);
            break;
          } catch {
            // conflict: read again
          }
        }
        edits++;
      }
    }),
  );
  const rate = edits / ((performance.now() - started) / 1000);
  const final = (await kvs[0]!.get(key))?.json<{ n: number }>().n ?? 0;
  return { rate, lost: edits - final };
}
