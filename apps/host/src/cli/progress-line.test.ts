// ProgressLine: phases always print; counts are throttled; on a terminal the count line is rewritten in place.
import { describe, expect, it } from "vitest";
import { ProgressLine } from "./progress-line.js";

function recorder(tty: boolean) {
  let now = 0;
  const out: string[] = [];
  const line = new ProgressLine({ write: (t) => out.push(t), tty, now: () => now });
  return {
    line,
    out,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("progress on a file or pipe: plain lines", () => {
  it("prints every phase, and at most one count line per second", () => {
    const { line, out, advance } = recorder(false);
    line.phase("reading");
    line.count("1 read");
    advance(400);
    line.count("2 read");
    advance(700);
    line.count("3 read");
    advance(100);
    line.count("4 read");
    line.phase("writing");
    line.end();
    expect(out).toEqual(["reading\n", "3 read\n", "writing\n"]);
  });
});

describe("progress on a terminal: one count line rewritten in place", () => {
  it("rewrites the count line, erases it before the next phase and at the end", () => {
    const { line, out, advance } = recorder(true);
    line.phase("writing 3 entries");
    advance(150);
    line.count("1 of 3");
    advance(50);
    line.count("2 of 3");
    advance(100);
    line.count("3 of 3");
    line.phase("done");
    line.end();
    expect(out).toEqual(["writing 3 entries\n", "\r\x1b[2K1 of 3", "\r\x1b[2K3 of 3", "\r\x1b[2K", "done\n"]);
  });

  it("leaves nothing behind when no count was shown", () => {
    const { line, out } = recorder(true);
    line.phase("done");
    line.end();
    expect(out).toEqual(["done\n"]);
  });
});
