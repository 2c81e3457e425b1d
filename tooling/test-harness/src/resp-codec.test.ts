import { describe, expect, it } from "vitest";
import { encodeCommand, formatReply, RedisReplyError, RespParser } from "./resp-codec.js";

describe("encodeCommand", () => {
  it("encodes a command as an array of bulk strings, counting bytes not characters", () => {
    expect(encodeCommand(["SET", "k", "é"]).toString("utf8")).toBe(
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n",
    );
  });
});

describe("RespParser", () => {
  it("decodes every RESP2 type", () => {
    const parser = new RespParser();
    const values = parser.push(
      Buffer.from("+OK\r\n-ERR bad\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*2\r\n:1\r\n$-1\r\n*-1\r\n"),
    );
    expect(values).toHaveLength(7);
    expect(values[0]).toBe("OK");
    expect(values[1]).toBeInstanceOf(RedisReplyError);
    expect((values[1] as RedisReplyError).message).toBe("ERR bad");
    expect(values.slice(2)).toEqual([42, "hello", null, [1, null], null]);
  });

  it("waits for the rest of a reply split across chunks", () => {
    const parser = new RespParser();
    expect(parser.push(Buffer.from("*2\r\n$3\r\nfo"))).toEqual([]);
    expect(parser.push(Buffer.from("o\r\n$3\r\nbar\r"))).toEqual([]);
    expect(parser.push(Buffer.from("\n+PONG\r\n"))).toEqual([["foo", "bar"], "PONG"]);
  });

  it("keeps binary-safe bulk strings containing CRLF intact", () => {
    expect(new RespParser().push(Buffer.from("$4\r\na\r\nb\r\n"))).toEqual(["a\r\nb"]);
  });
});

describe("formatReply", () => {
  it("renders strings and integers as text, nil as (nil) and arrays as JSON", () => {
    expect(formatReply("PONG")).toBe("PONG");
    expect(formatReply(7)).toBe("7");
    expect(formatReply(null)).toBe("(nil)");
    expect(formatReply(["a", 1, null, [new RedisReplyError("ERR x")]])).toBe(
      '["a",1,null,[{"error":"ERR x"}]]',
    );
  });
});
