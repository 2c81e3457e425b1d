// The `.get` responder trusts no peer (issue 27 item 1): it answers only on reply subjects of the inbox form
// NATS clients make, so a `.get` naming a KV key or a broadcast subject as its reply subject cannot make the
// responder publish there with its own credentials.
import { isInboxSubject, MAX_REPLY_SUBJECT_LENGTH, silentLogger } from "@lattice-cache/core/backend";
import { disposeAll, type NatsServerHandle, startNatsServer } from "@lattice-cache/test-harness";
import { Empty, type NatsConnection } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerLegacyGets } from "./legacy-get-responder.js";
import { requestLegacyList } from "./legacy-requests.js";
import { legacySubjects } from "./legacy-subjects.js";
import { plainConnection, uniquePrefix } from "./nats-fixtures.test-helpers.js";

let nats: NatsServerHandle;
const connections: NatsConnection[] = [];

beforeAll(async () => {
  nats = await startNatsServer({ jetstream: false });
});

afterAll(async () => {
  await Promise.all(connections.map((c) => c.close().catch(() => {})));
  await disposeAll();
});

async function connection(): Promise<NatsConnection> {
  const nc = await plainConnection(nats.url);
  connections.push(nc);
  return nc;
}

describe("issue 27 item 1: the .get responder answers only on inbox reply subjects", () => {
  it("a .get whose reply subject is a KV key or a broadcast subject is not answered there, and is counted; a normal .get is answered", async () => {
    const prefix = uniquePrefix("get");
    const subjects = legacySubjects(prefix);
    const refused: string[] = [];
    const responder = answerLegacyGets(await connection(), subjects, {
      recordsOf: () => [],
      logger: silentLogger,
      onRefused: (collection, replyTo) => refused.push(`${collection} ${replyTo}`),
    });
    const victims = [`$KV.LATTICEDATA_${prefix}.LINKDEF_victim`, subjects.of("refmaps", "put")];
    const observer = await connection();
    const seen: string[] = [];
    for (const victim of victims) {
      observer.subscribe(victim, {
        callback: (_e, m) => {
          seen.push(m.subject);
        },
      });
    }
    await observer.flush();

    const mallory = await connection();
    for (const victim of victims) mallory.publish(subjects.of("refmaps", "get"), Empty, { reply: victim });
    await mallory.flush();
    // Answered in order on one connection: this reply comes after anything sent for the two above.
    const reply = await requestLegacyList(mallory, subjects, "refmaps", 10_000);
    expect(reply).toMatchObject({ answered: true, records: [] });
    await observer.flush();

    expect(seen).toEqual([]);
    expect(refused).toEqual(victims.map((v) => `refmaps ${v}`));
    expect(responder.refused).toBe(2);
    responder.close();
  });
});

describe("issue 27 item 1: what counts as an inbox", () => {
  it("accepts the reply subjects NATS clients make, under the default or a configured prefix", () => {
    for (const subject of [
      "_INBOX.Kq4Xx2VYZzB7d0Cd8H1mQp",
      "_INBOX.Kq4Xx2VYZzB7d0Cd8H1mQp.1",
      "_INBOX.a.b.c.d",
    ]) {
      expect(isInboxSubject(subject), subject).toBe(true);
    }
    expect(isInboxSubject("_R_.lattice.Kq4Xx2", ["_R_.lattice"])).toBe(true);
    expect(isInboxSubject("_INBOX.Kq4Xx2", ["_R_.lattice"])).toBe(false);
  });

  it("refuses everything else: other subjects, wildcards, bare prefixes, blanks and overlong subjects", () => {
    const refused = [
      "$KV.LATTICEDATA_default.LINKDEF_x",
      "wasmbus.rpc.default.refmaps.put",
      "lattice-cache.default.status",
      "_INBOX",
      "_INBOX.",
      "_INBOX.*",
      "_INBOX.>",
      "_INBOX.a.>",
      "_INBOX.a b",
      "_INBOX.a..b",
      "_INBOX.a.b.c.d.e",
      "_INBOXX.a",
      `_INBOX.${"a".repeat(MAX_REPLY_SUBJECT_LENGTH)}`,
      undefined,
    ];
    for (const subject of refused) expect(isInboxSubject(subject), String(subject)).toBe(false);
  });
});
