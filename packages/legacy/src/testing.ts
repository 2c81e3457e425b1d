// @lattice-cache/legacy/testing — for tests of mixed fleets, never needed by a program that embeds the cache:
// an old (generation-1) host written from the wire format alone.

export {
  SimulatedLegacyHost,
  type SimulatedLegacyHostCounters,
  type SimulatedLegacyHostOptions,
  type WireClaims,
  type WireLinkDefinition,
  type WireReferenceMap,
} from "./simulated-legacy-host.js";
