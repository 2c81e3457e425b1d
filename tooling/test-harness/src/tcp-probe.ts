import { connect } from "node:net";
import { LOOPBACK } from "./free-port.js";

/** Resolves true if a TCP connection to `host:port` can be established within `timeoutMs`, else false. */
export function canConnect(port: number, host: string = LOOPBACK, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });
}
