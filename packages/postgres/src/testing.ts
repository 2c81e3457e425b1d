// @lattice-cache/postgres/testing — for tests and tools that read or damage what the backend stores around
// it (the lattice's schema through a connection of their own), never needed by a program that embeds the cache.

export { RawPostgresLattice } from "./raw-lattice.js";
