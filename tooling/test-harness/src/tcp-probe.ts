import { connect } from "node:net";
import { LOOPBACK } from "./free-port.js";

/**
 * Connects to `host:port` and resolves the first line the server sends (without the line break), or
 * undefined if the connection fails or no full line arrives within `timeoutMs`.
 */
export function readFirstLine(
  port: number,
  host: string = LOOPBACK,
  timeoutMs = 2_000,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let text = "";
    const finish = (line: string | undefined): void => {
      socket.destroy();
      resolve(line);
    };
    socket.setEncoding("utf8");
    socket.setTimeout(timeoutMs, () => finish(undefined));
    socket.on("data", (chunk: string) => {
      text += chunk;
      const end = text.indexOf("\n");
      if (end >= 0) {
        finish(text.slice(0, end).replace(/\r$/, ""));
      }
    });
    socket.once("error", () => finish(undefined));
    socket.once("close", () => finish(undefined));
  });
}
