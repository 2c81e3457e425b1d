// The escaping of everything the CLI prints (issue 27 item 9): which characters, how they are spelled, and
// that JSON text passed through it parses to the same values.
import { describe, expect, it } from "vitest";
import { escapeTerminalOutput, escapeTerminalValue } from "./terminal-text.js";

/** Every character the escaping must catch: C0, DEL, C1, the line/paragraph separators, the bidi controls. */
const CONTROLS = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
  0x2028,
  0x2029,
  0x202a,
  0x202b,
  0x202c,
  0x202d,
  0x202e,
  0x2066,
  0x2067,
  0x2068,
  0x2069,
].map((code) => String.fromCharCode(code));

describe("terminal text", () => {
  it("issue 27 item 9: a value shows every control character as the escape JSON writes for it", () => {
    expect(escapeTerminalValue("\u001b]52;c;ZXZpbA==\u0007")).toBe("\\u001b]52;c;ZXZpbA==\\u0007");
    expect(escapeTerminalValue("a\u001b[2K\rb\nc\td")).toBe("a\\u001b[2K\\rb\\nc\\td");
    expect(escapeTerminalValue("\u009b31m\u007f")).toBe("\\u009b31m\\u007f");
    expect(escapeTerminalValue("abc\u202edcba\u2066x\u2069")).toBe("abc\\u202edcba\\u2066x\\u2069");
    for (const char of CONTROLS) {
      expect(escapeTerminalValue(`x${char}y`), `U+${char.charCodeAt(0).toString(16)}`).toMatch(
        /^x\\(u[0-9a-f]{4}|[btnfr])y$/,
      );
    }
  });

  it("leaves other text alone, and escaping twice changes nothing more", () => {
    const plain = "LINKDEF_abc  ✔ …·  Ünïcode 日本 emoji 🙂 back\\slash";
    expect(escapeTerminalValue(plain)).toBe(plain);
    expect(escapeTerminalOutput(plain)).toBe(plain);
    const once = escapeTerminalValue("a\u001bb\nc");
    expect(escapeTerminalValue(once)).toBe(once);
  });

  it("issue 27 item 9: whole output keeps its own newlines and escapes the rest", () => {
    expect(escapeTerminalOutput("line 1\nline\u001b[2K 2\r\n")).toBe("line 1\nline\\u001b[2K 2\\r\n");
  });

  it("issue 27 item 9: JSON text passed through it parses to exactly the same value", () => {
    const value = { v: CONTROLS.join(""), k: ["\u009b", "\u202e"], n: 1 };
    for (const text of [JSON.stringify(value), JSON.stringify(value, null, 2)]) {
      const shown = escapeTerminalOutput(text);
      expect([...shown].some((c) => CONTROLS.includes(c) && c !== "\n")).toBe(false);
      expect(JSON.parse(shown)).toEqual(value);
    }
  });
});
