// SharedInFlight: later callers join the work in flight only when they may (anyone off Workers,
// the same request on Workers), and work that ends clears only itself, never a later request's.
import { afterEach, describe, expect, test } from "bun:test";
import { SharedInFlight, setRequestScope } from "./request-scope.ts";

/** A promise settled from outside. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Runs `shared.run` with a start that counts its calls and settles when told. */
function starter<T>() {
  const runs: ReturnType<typeof deferred<T>>[] = [];
  return {
    runs,
    start: () => {
      const run = deferred<T>();
      runs.push(run);
      return run.promise;
    },
  };
}

afterEach(() => setRequestScope(() => undefined));

describe("SharedInFlight off Workers", () => {
  test("a second caller joins the work in flight; once done, the next starts anew", async () => {
    const shared = new SharedInFlight<number>();
    const { runs, start } = starter<number>();
    const first = shared.run(start);
    const second = shared.run(start);
    expect(runs.length).toBe(1);
    expect(second).toBe(first);
    expect(shared.current()).toBe(first);
    runs[0]?.resolve(7);
    expect(await second).toBe(7);
    expect(shared.current()).toBeUndefined();
    shared.run(start);
    expect(runs.length).toBe(2);
  });

  test("a failure reaches every caller and clears the slot", async () => {
    const shared = new SharedInFlight<number>();
    const { runs, start } = starter<number>();
    const first = shared.run(start);
    const second = shared.run(start);
    runs[0]?.reject(new Error("the database is away"));
    await expect(first).rejects.toThrow("the database is away");
    await expect(second).rejects.toThrow("the database is away");
    expect(shared.inFlight()).toBeUndefined();
  });

  test("work older than staleMs is not joined, and forget() leaves work behind", async () => {
    let now = 1000;
    const shared = new SharedInFlight<number>({ staleMs: 100, now: () => now });
    const { runs, start } = starter<number>();
    shared.run(start);
    now += 99;
    shared.run(start);
    expect(runs.length).toBe(1);
    now += 1;
    const fresh = shared.run(start);
    expect(runs.length).toBe(2);
    shared.forget();
    expect(shared.inFlight()).toBeUndefined();
    expect(shared.run(start)).not.toBe(fresh);
    expect(runs.length).toBe(3);
  });
});

describe("SharedInFlight with a request scope (Workers)", () => {
  test("another request starts its own; the first's end does not clear the second's", async () => {
    const requestA = {};
    const requestB = {};
    let scope: object = requestA;
    setRequestScope(() => scope);
    const shared = new SharedInFlight<string>();
    const { runs, start } = starter<string>();

    const a = shared.run(start);
    expect(shared.run(start)).toBe(a); // the same request joins its own work
    scope = requestB;
    expect(shared.current()).toBeUndefined();
    expect(shared.inFlight()).toBe(a);
    const b = shared.run(start);
    expect(runs.length).toBe(2);
    expect(b).not.toBe(a);

    runs[0]?.resolve("a");
    expect(await a).toBe("a");
    // A's end left B's work current: B's later callers still join it.
    expect(shared.current()).toBe(b);
    expect(shared.run(start)).toBe(b);
    expect(runs.length).toBe(2);
    // Back in A (its later callers): B's work is not A's to join.
    scope = requestA;
    expect(shared.current()).toBeUndefined();

    runs[1]?.resolve("b");
    expect(await b).toBe("b");
    expect(shared.inFlight()).toBeUndefined();
  });
});
