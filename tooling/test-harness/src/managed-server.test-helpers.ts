/**
 * A small HTTP server for the generic-server tests, run as `node -e HTTP_SERVER_SOURCE <port> [greeting file]`.
 * It answers every request with JSON naming its pid, `$GREETING`, `$HARNESS_TEST_INHERITED` and the greeting
 * file's content, prints
 * `listening on <port>` once it listens, and exits with code 3 when it cannot bind the port.
 */
export const HTTP_SERVER_SOURCE = `
const http = require("node:http");
const fs = require("node:fs");
const [port, file] = process.argv.slice(1);
const server = http.createServer((request, response) => {
  const content = file ? fs.readFileSync(file, "utf8") : null;
  response.setHeader("content-type", "application/json");
  const env = process.env;
  response.end(
    JSON.stringify({
      pid: process.pid,
      greeting: env.GREETING ?? null,
      inherited: env.HARNESS_TEST_INHERITED ?? null,
      file: content,
    }),
  );
});
server.on("error", (error) => {
  console.error("cannot listen:", error.code, error.message);
  process.exit(3);
});
server.listen(Number(port), "127.0.0.1", () => console.log("listening on " + port));
`;

/** GETs `url` and parses the JSON answer. */
export async function getJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  return (await response.json()) as Record<string, unknown>;
}
