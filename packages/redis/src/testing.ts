// @lattice-cache/redis/testing — for tests that read or write what the backend stores around it (raw
// ioredis), never needed by a program that embeds the cache.

export { decodeEntryRecord, type EntryRecord, encodeEntryRecord } from "./entry-record.js";
