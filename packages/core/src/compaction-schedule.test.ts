// CompactionSchedule: hosts compact by themselves, at most once an interval on the whole lattice, and stay
// quiet when they cannot or need not. Only `Date` is faked (lease and marker times); the schedule's timers are
// real and short, and the tests wait for what its log says, never for a fixed time.
// Rules cited here: docs/semantics.md#rule-6.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { COMPACTION_LEASE_KEY, decodeCompactionLease } from "./compaction-lease.js";
import { CompactionSchedule } from "./compaction-schedule.js";
import { PermissionDeniedError } from "./errors.js";
import type { Logger } from "./logger.js";
import { MemoryBackend, MemoryStore } from "./memory-backend.js";
import { until } from "./until.test-helpers.js";

const HOUR = 60 * 60 * 1000;
const T0 = Date.parse("2026-01-01T00:00:00Z");
/** The schedule's interval in these tests: real ms between checks, and fake ms between runs. */
const INTERVAL_MS = 30;
const bytes = (text: string) => new TextEncoder().encode(text);

function recordingLogger() {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg = "") =>
      lines.push({ level, msg, obj: obj as Record<string, unknown> });
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  const count = (pattern: RegExp) => lines.filter((l) => pattern.test(l.msg)).length;
  return { lines, logger, count };
}

function deleteAt(store: MemoryStore, key: string, at: number): void {
  const now = Date.now();
  vi.setSystemTime(at);
  store.write({ key, value: bytes("{}"), origin: "test" });
  store.write({ key, value: null, origin: "test" });
  vi.setSystemTime(now);
}

const schedules: CompactionSchedule[] = [];
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(T0);
});
afterEach(() => {
  for (const schedule of schedules.splice(0)) schedule.stop();
  vi.useRealTimers();
});

function start(store: MemoryStore, hostId: string, logger: Logger, retentionMs = HOUR): CompactionSchedule {
  const schedule = CompactionSchedule.start({
    backend: new MemoryBackend(store),
    hostId,
    retentionMs,
    logger,
    intervalMs: INTERVAL_MS,
  });
  schedules.push(schedule);
  return schedule;
}

describe("CompactionSchedule", () => {
  it("rule 6: hosts compact by themselves, once an interval on the lattice, and log what they removed", async () => {
    const store = new MemoryStore();
    deleteAt(store, "CLAIMS_MFIRST", T0);
    vi.setSystemTime(T0 + 2 * HOUR);
    const a = recordingLogger();
    const b = recordingLogger();
    start(store, "h1", a.logger);
    start(store, "h2", b.logger);
    await until(() => store.read("CLAIMS_MFIRST") === undefined, "the first compaction");
    const removedLine = [...a.lines, ...b.lines].find((l) => /removed delete markers/.test(l.msg));
    expect(removedLine?.obj).toMatchObject({ removed: 1, keys: ["CLAIMS_MFIRST"] });
    const lastRun = decodeCompactionLease(store.read(COMPACTION_LEASE_KEY))?.lastRun;
    expect(lastRun).toBe(new Date(T0 + 2 * HOUR).toISOString());

    // A marker due now, but the lattice's last run is younger than the interval (fake time stands still).
    deleteAt(store, "CLAIMS_MSECOND", T0);
    const notDue = () => a.count(/not due/) + b.count(/not due/);
    const seen = notDue();
    await until(() => notDue() >= seen + 4, "several checks that found the last run too recent");
    expect(store.read("CLAIMS_MSECOND")?.value).toBeNull();

    vi.setSystemTime(T0 + 2 * HOUR + INTERVAL_MS);
    await until(() => store.read("CLAIMS_MSECOND") === undefined, "the compaction once the interval passed");
  });

  it("does nothing, and says why once, with a retention of 0 or a backend that cannot be compacted", () => {
    const store = new MemoryStore();
    const log = recordingLogger();
    expect(start(store, "h1", log.logger, 0).active).toBe(false);
    const backend = new MemoryBackend(store);
    Object.defineProperty(backend, "compactTombstones", { value: undefined });
    const schedule = CompactionSchedule.start({
      backend,
      hostId: "h2",
      retentionMs: HOUR,
      logger: log.logger,
    });
    schedules.push(schedule);
    expect(schedule.active).toBe(false);
    expect(log.lines.map((l) => l.msg)).toEqual([
      "no automatic tombstone compaction: the tombstone retention is 0 (tombstones are kept forever)",
      "no automatic tombstone compaction: it cannot remove delete markers",
    ]);
  });

  it("a host the backend refuses warns once and stops trying", async () => {
    const store = new MemoryStore();
    const backend = new MemoryBackend(store);
    backend.compactTombstones = async () => {
      throw new PermissionDeniedError("not allowed to purge");
    };
    const log = recordingLogger();
    const schedule = CompactionSchedule.start({
      backend,
      hostId: "h1",
      retentionMs: HOUR,
      logger: log.logger,
      intervalMs: INTERVAL_MS,
    });
    schedules.push(schedule);
    await until(() => !schedule.active, "the schedule to stop");
    expect(log.lines.filter((l) => l.level === "warn").map((l) => l.msg)).toEqual([
      expect.stringMatching(/^this host may not compact tombstones/),
    ]);
  });

  it("stop() ends the checks", async () => {
    const store = new MemoryStore();
    const log = recordingLogger();
    const schedule = start(store, "h1", log.logger);
    await until(() => log.count(/found nothing|not due/) > 0, "a first check");
    schedule.stop();
    expect(schedule.active).toBe(false);
  });
});
