// The version of the `lattice` CLI and host, printed by `--version` and reported on the status channel.

/** The version `lattice --version` prints and every host reports. */
export const LATTICE_VERSION = "0.1.0";
