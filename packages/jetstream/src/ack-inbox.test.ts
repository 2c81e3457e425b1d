// The write path's publish: acknowledgements matched on one reply subscription, with the outcomes of
// `js.publish` (which nats-errors.ts classifies), against a real nats-server.
// Rules cited here: docs/semantics.md#rule-4.
import { silentLogger } from "@lattice-cache/core/backend";
import { disposeAll, type NatsServerHandle, startNatsServer } from "@lattice-cache/test-harness";
import { headers } from "@nats-io/nats-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AckAbandonedError, AckInbox, AckInboxClosedError } from "./ack-inbox.js";
import { BucketLayout } from "./bucket-layout.js";
import { desiredStreamConfig } from "./bucket-provisioner.js";
import { ConnectionState } from "./connection-state.js";
import { HEADERS } from "./kv-message.js";
import { casMismatch, isNoResponders, isTimeout } from "./nats-errors.js";
import { type RawClient, rawClient, uniquePrefix } from "./nats-fixtures.test-helpers.js";
import { JETSTREAM_DEFAULTS } from "./options.js";

let server: NatsServerHandle;
let admin: RawClient;
let inbox: AckInbox;
const bytes = (s: string) => new TextEncoder().encode(s);

beforeAll(async () => {
  server = await startNatsServer();
  admin = await rawClient(server.url);
  const connection = new ConnectionState(admin.nc, silentLogger);
  connection.start();
  inbox = new AckInbox(admin.nc, connection);
});

afterAll(async () => {
  inbox?.close();
  await admin?.close();
  await disposeAll();
});

async function bucket(): Promise<BucketLayout> {
  const layout = new BucketLayout(uniquePrefix("ack"));
  await admin.jsm.streams.add(desiredStreamConfig(layout, JETSTREAM_DEFAULTS.bucket));
  return layout;
}

describe("publishing through the ack inbox", () => {
  it("resolves each publish with the stream sequence it was stored at, many in flight", async () => {
    const layout = await bucket();
    const sequences = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        inbox.publish(layout.keySubject(`CLAIMS_M${i}`), bytes(String(i)), headers(), 5000),
      ),
    );
    expect([...sequences].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const stored = await admin.jsm.streams.getMessage(layout.stream, { seq: sequences[7] as number });
    expect(new TextDecoder().decode(stored?.data)).toBe("7");
  });

  it("rule 4: a compare-and-swap mismatch rejects as the JetStream API error casMismatch reads", async () => {
    const layout = await bucket();
    const subject = layout.keySubject("CLAIMS_MX");
    await inbox.publish(subject, bytes("a"), headers(), 5000);
    const h = headers();
    h.set(HEADERS.expectedLastSubjectSequence, "0");
    const error = await inbox.publish(subject, bytes("b"), h, 5000).catch((e: unknown) => e);
    expect(casMismatch(error)).toEqual({ current: 1 });
  });

  it("a subject no stream listens on rejects as no responders (retried by the writer)", async () => {
    const error = await inbox
      .publish(`$KV.${uniquePrefix("none")}.CLAIMS_MX`, bytes("a"), headers(), 5000)
      .catch((e: unknown) => e);
    expect(isNoResponders(error)).toBe(true);
  });

  it("a publish nobody acknowledges rejects with a timeout once its time is up", async () => {
    const silent = admin.nc.subscribe("silent.subject", { callback: () => {} });
    const started = Date.now();
    const error = await inbox.publish("silent.subject", bytes("a"), headers(), 300).catch((e: unknown) => e);
    silent.unsubscribe();
    expect(isTimeout(error)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it("issue 22 item 6: close() abandons what is still waiting as sent (outcome unknown), and refuses later publishes unsent", async () => {
    const connection = new ConnectionState(admin.nc, silentLogger);
    connection.start();
    const own = new AckInbox(admin.nc, connection);
    const received: string[] = [];
    const silent = admin.nc.subscribe("silent.closing", {
      callback: (_, msg) => {
        received.push(msg.string());
      },
    });
    const pending = own.publish("silent.closing", bytes("sent"), headers(), 60_000);
    own.close();
    await expect(pending).rejects.toBeInstanceOf(AckAbandonedError);
    await expect(own.publish("silent.closing", bytes("late"), headers(), 60_000)).rejects.toBeInstanceOf(
      AckInboxClosedError,
    );
    await admin.nc.flush();
    expect(received).toEqual(["sent"]);
    silent.unsubscribe();
    connection.stop();
  });
});
