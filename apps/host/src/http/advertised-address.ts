// The HTTP address a host tells its peers (its status answers, hence `lattice status --hosts` and the status
// page's Lattice section): `http.advertise` when set, else the bound one — but never `0.0.0.0` or `::`, which
// name every interface of the host and no address another machine can reach.
import { hostname, type NetworkInterfaceInfo, networkInterfaces } from "node:os";

/** Addresses that mean every interface of this machine. */
const EVERY_INTERFACE: ReadonlySet<string> = new Set(["0.0.0.0", "::"]);

/** This machine's network interfaces and name (replaceable in tests). */
export interface MachineAddresses {
  readonly interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>;
  readonly hostname: string;
}

/**
 * The URL peers are told: `advertise` (without a trailing slash) when given; for a host bound to every
 * interface, the first non-internal IPv4 address of this machine (for `::` an IPv6 one if it has no IPv4),
 * else its host name; otherwise the bound address itself.
 */
export function advertisedUrl(
  bound: { readonly host: string; readonly port: number },
  advertise: string | undefined,
  machine: MachineAddresses = { interfaces: networkInterfaces(), hostname: hostname() },
): string {
  if (advertise !== undefined) return advertise.replace(/\/+$/, "");
  const host = EVERY_INTERFACE.has(bound.host) ? reachableAddress(bound.host, machine) : bound.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${bound.port}`;
}

function reachableAddress(boundHost: string, machine: MachineAddresses): string {
  const external = Object.values(machine.interfaces)
    .flatMap((list) => list ?? [])
    .filter((info) => !info.internal && !info.address.startsWith("fe80:"));
  const ipv4 = external.find((info) => info.family === "IPv4");
  const ipv6 = boundHost === "::" ? external.find((info) => info.family === "IPv6") : undefined;
  return (ipv4 ?? ipv6)?.address ?? machine.hostname;
}
