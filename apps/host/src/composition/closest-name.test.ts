import { describe, expect, it } from "vitest";
import { closestName } from "./closest-name.js";

describe("closestName: the existing name a typo most likely meant", () => {
  it("finds a swap of two neighbouring letters, a missing, an extra and a wrong letter", () => {
    const existing = ["default", "production", "staging"];
    expect(closestName("defualt", existing)).toBe("default");
    expect(closestName("defaut", existing)).toBe("default");
    expect(closestName("productionn", existing)).toBe("production");
    expect(closestName("stagimg", existing)).toBe("staging");
    expect(closestName("DEFAULT", existing)).toBe("default");
  });

  it("suggests nothing for a name that is no typo of any, nor for very short names", () => {
    expect(closestName("billing", ["default", "production"])).toBeUndefined();
    expect(closestName("a", ["b"])).toBeUndefined();
    expect(closestName("anything", [])).toBeUndefined();
  });

  it("prefers the closer of two candidates", () => {
    expect(closestName("prod1", ["prod12", "prod1x2"])).toBe("prod12");
  });
});
