import { request } from "node:http";
import { LOOPBACK } from "./free-port.js";

/** Status code and parsed body of a monitoring endpoint response. */
export interface HttpJsonResponse {
  readonly status: number;
  /** Parsed JSON body, or the raw text if it is not JSON. */
  readonly body: unknown;
}

/** GETs `http://127.0.0.1:<port><path>` and parses the body as JSON (falls back to text). */
export function getJson(port: number, path: string, timeoutMs = 5_000): Promise<HttpJsonResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: LOOPBACK, port, path, method: "GET", timeout: timeoutMs, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON, keep the text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`GET ${path} on port ${port} timed out after ${timeoutMs}ms`)),
    );
    req.on("error", reject);
    req.end();
  });
}

/** Like {@link getJson} but requires a 2xx status and a JSON object body. */
export async function getJsonObject(port: number, path: string): Promise<Record<string, unknown>> {
  const { status, body } = await getJson(port, path);
  if (status < 200 || status >= 300 || typeof body !== "object" || body === null || Array.isArray(body)) {
    const shown = typeof body === "string" ? body : JSON.stringify(body);
    throw new Error(`GET ${path} on 127.0.0.1:${port} returned ${status}: ${shown.slice(0, 500)}`);
  }
  return body as Record<string, unknown>;
}
