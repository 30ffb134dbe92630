import { describe, expect, it } from "vitest";
// @ts-expect-error: the bench is plain JS without type declarations
import { fixedAgainst, measure, pairedRatio, percent, percentAgainst, relativeError } from "../bench/harness.mjs";

describe("bench harness", () => {
  it("pairedRatio is the median of per-round ratios, so drift shared by a round cancels", () => {
    // the machine slows 3× in rounds 1 and 3; a is always 2× b within a round
    const t = { a: { samples: [2, 6, 2, 6, 2] }, b: { samples: [1, 3, 1, 3, 1] }, c: { samples: [1, 1, 1, 1, 9] } };
    expect(pairedRatio(t, "a", "b")).toBe(2);
    // round by round a/c is 2, 6, 2, 6, 0.22: one slow round of c moves the median by one place, no more
    expect(pairedRatio(t, "a", "c")).toBe(2);
    expect(pairedRatio(t, "c", "a")).toBe(0.5);
    // functions of the round stand for derived figures (a round's peak, the faster of two candidates)
    expect(pairedRatio(t, (r: number) => Math.min(t.a.samples[r], t.c.samples[r]), "b")).toBe(1);
  });

  it("percent shows a figure just under a bar as under it on the bar lines", () => {
    expect(percent(0.8977686785142538)).toBe("90%"); // tables: whole percent
    expect(percent(0.8977686785142538, 1)).toBe("89.8%"); // bar lines: one decimal
    expect(percent(1.0516, 1)).toBe("105.2%");
  });

  it("fixedAgainst adds decimals only where rounding would show a figure equal to its bar", () => {
    expect(fixedAgainst(1.298, 1.3)).toBe("1.298"); // a miss must not read 1.30 beside "≥ 1.3"
    expect(fixedAgainst(1.2999, 1.3)).toBe("1.2999");
    expect(fixedAgainst(1.33, 1.3)).toBe("1.33");
    expect(fixedAgainst(1.3, 1.3)).toBe("1.30"); // equal is equal
    expect(fixedAgainst(51.73, 51.7, 1)).toBe("51.73");
    expect(percentAgainst(0.8496, 0.85)).toBe("84.96%");
    expect(percentAgainst(0.81, 0.9)).toBe("81.0%");
  });

  it("relativeError is the largest difference over the largest |entry| of the reference", () => {
    expect(relativeError([1, -4, 2], [1, -4.4, 2.2])).toBeCloseTo(0.1, 12); // 0.4 / 4, not 0.2 / 2 elementwise
    expect(relativeError([0, 0], [0, 1e-3])).toBe(1e-3); // an all-zero reference: the absolute difference
    expect(relativeError([1, 2], [1, NaN])).toBeNaN(); // NaN fails every "≤ tol" check
  });

  it("measure alternates candidates and returns one sample per round for each", async () => {
    const order: string[] = [];
    const cands = ["x", "y", "z"].map((name) => ({ name, run: () => { order.push(name); } }));
    const t = await measure(cands, { rounds: 5, sampleMs: 0, warmupMs: 0 });
    for (const name of ["x", "y", "z"]) expect(t[name].samples).toHaveLength(5);
    const rounds = order.slice(3); // after one warm-up call each
    expect(new Set(rounds.slice(0, 3))).toEqual(new Set(["x", "y", "z"]));
    expect(rounds[0]).not.toBe(rounds[3]); // the first candidate rotates from round to round
  });
});
