// The one URL redactor (issue 27 item 6): userinfo passwords and tokens, secret query parameters, encoded
// names and values, URLs the parser rejects, and URLs inside messages — never a secret, user names kept.
import { describe, expect, it } from "vitest";
import { REDACTED, redactUrl, redactUrlsInText, SECRET_URL_PARAMETERS } from "./url-redaction.js";

describe("redactUrl: the userinfo", () => {
  it("issue 27 item 6: masks a password and keeps the user name, for every scheme", () => {
    expect(redactUrl("nats://ann:s3cret@n1:4222")).toBe("nats://ann:***@n1:4222");
    expect(redactUrl("postgres://lattice:s3cret@db.example:5433/lattice")).toBe(
      "postgres://lattice:***@db.example:5433/lattice",
    );
    expect(redactUrl("redis://:s3cret@r:6379/0")).toBe("redis://:***@r:6379/0");
    expect(redactUrl("rediss://app:s3cret@r:6380")).toBe("rediss://app:***@r:6380");
    expect(redactUrl("wss://ann:s3cret@n:8443")).toBe("wss://ann:***@n:8443");
  });

  it("issue 27 item 6: a lone userinfo is a user name for postgres and redis, and masked as a token elsewhere (NATS)", () => {
    expect(redactUrl("postgres://lattice@db:5432/lattice")).toBe("postgres://lattice@db:5432/lattice");
    expect(redactUrl("postgresql://lattice@db/lattice")).toBe("postgresql://lattice@db/lattice");
    expect(redactUrl("redis://app@r:6379")).toBe("redis://app@r:6379");
    expect(redactUrl("nats://tok-secret@n:4222")).toBe("nats://***@n:4222");
    expect(redactUrl("tls://tok-secret@n:4222")).toBe("tls://***@n:4222");
    expect(redactUrl("https://ghp_tokensecret@github.com/acme/x.git")).toBe(
      "https://***@github.com/acme/x.git",
    );
  });

  it("issue 27 item 6: masks percent-encoded passwords whole", () => {
    const shown = redactUrl("nats://ann:p%40ss%3Aw%2Frd@n:4222");
    expect(shown).toBe("nats://ann:***@n:4222");
  });

  it("returns a URL without credentials exactly as given", () => {
    for (const plain of [
      "nats://n1:4222",
      "nats://127.0.0.1:4222",
      "127.0.0.1:4222",
      "localhost:4222",
      "redis://127.0.0.1:6379",
      "postgres://lattice@db:5432/lattice?sslmode=verify-full&application_name=a%20b",
      "http://127.0.0.1:7411",
      "",
    ]) {
      expect(redactUrl(plain)).toBe(plain);
    }
  });
});

describe("redactUrl: secret parameters", () => {
  it("issue 27 item 6: masks the value of every secret parameter and keeps the others", () => {
    for (const name of SECRET_URL_PARAMETERS) {
      expect(redactUrl(`postgres://u@h/db?sslmode=require&${name}=v-secret&x=1`)).toBe(
        `postgres://u@h/db?sslmode=require&${name}=${REDACTED}&x=1`,
      );
    }
    expect(redactUrl("postgres://u@h/db?password=pw&sslpassword=sslpw")).toBe(
      "postgres://u@h/db?password=***&sslpassword=***",
    );
    expect(redactUrl("redis://r:6379/0?password=pw")).toBe("redis://r:6379/0?password=***");
  });

  it("issue 27 item 6: matches names whatever their case or percent-encoding, and masks encoded values whole", () => {
    expect(redactUrl("postgres://h/db?PassWord=pw")).toBe("postgres://h/db?PassWord=***");
    expect(redactUrl("postgres://h/db?pass%77ord=pw")).toBe("postgres://h/db?pass%77ord=***");
    expect(redactUrl("postgres://h/db?password=p%26w%3Dx%20y")).toBe("postgres://h/db?password=***");
    expect(redactUrl("redis://h?Access_Token=t")).toBe("redis://h?Access_Token=***");
  });

  it("issue 27 item 6: masks secret parameters of the fragment too, and both userinfo and parameters at once", () => {
    expect(redactUrl("https://h/cb#access_token=t&state=1")).toBe("https://h/cb#access_token=***&state=1");
    expect(redactUrl("postgres://u:pw@h/db?sslpassword=k")).toBe("postgres://u:***@h/db?sslpassword=***");
  });

  it("keeps file-path parameters (sslkey, sslcert, sslrootcert) and parameters without a value", () => {
    const url = "postgres://u@h/db?sslkey=/etc/k.pem&sslcert=/etc/c.pem&sslrootcert=/etc/ca.pem&password";
    expect(redactUrl(url)).toBe(url);
  });
});

describe("redactUrl: texts the URL parser rejects or misreads never leak", () => {
  it("issue 27 item 6: an unencoded / ? # in a password: everything up to the last @ is masked, the user kept", () => {
    expect(redactUrl("nats://ann:pa/ss@n:4222")).toBe("nats://ann:***@n:4222");
    expect(redactUrl("nats://ann:pa?ss@n:4222")).toBe("nats://ann:***@n:4222");
    expect(redactUrl("nats://ann:pa#ss@n:4222")).toBe("nats://ann:***@n:4222");
    // Parsed as host "ann", port 1234 and path "/abc@n:4222": the password would show.
    expect(redactUrl("nats://ann:1234/abc@n:4222")).toBe("nats://ann:***@n:4222");
    expect(redactUrl("nats://tok/en@n:4222")).toBe("nats://***@n:4222");
  });

  it("issue 27 item 6: no scheme, a bad port, a secret parameter holding an @", () => {
    expect(redactUrl("ann:s3cret@n:4222")).toBe("ann:***@n:4222");
    expect(redactUrl("postgres://u:s3cret@h:notaport/db?password=x")).toBe(
      "postgres://u:***@h:notaport/db?password=***",
    );
    expect(redactUrl("postgres://h/db?password=a@b&sslmode=require")).toBe(
      "postgres://h/db?password=***&sslmode=require",
    );
    expect(redactUrl("not a url password=s3cret")).toBe("not a url password=***");
  });
});

describe("redactUrlsInText", () => {
  it("issue 27 item 6: redacts every URL a message quotes, the rest of the message untouched", () => {
    const message =
      'cannot reach postgres://u:s3cret@h:5432/db?password=pw2 (nats://tok@n:4222), "redis://:pw3@r:1"; retrying';
    expect(redactUrlsInText(message)).toBe(
      'cannot reach postgres://u:***@h:5432/db?password=*** (nats://***@n:4222), "redis://:***@r:1"; retrying',
    );
    expect(redactUrlsInText("no URL here: connect ECONNREFUSED 127.0.0.1:6379")).toBe(
      "no URL here: connect ECONNREFUSED 127.0.0.1:6379",
    );
  });
});
