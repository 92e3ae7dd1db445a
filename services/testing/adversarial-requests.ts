// fast-check arbitraries for random and adversarial HTTP requests to both services (wrong types,
// huge and non-finite numbers, deep nesting, invalid UTF-8, wrong content types, duplicate ids,
// empty batches), and the one invariant every answer must meet: a valid result or a 4xx JSON error.
import fc from "fast-check";

export interface RequestSpec {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** For the report of a failing case. */
  label: string;
}

/** A JSON string value replaced by raw JSON text after serialising (e.g. 1e999 parses to Infinity). */
const RAW = "@@raw:";
const rawJson = (text: string) => `${RAW}${text}@@`;
function serialise(value: unknown): string {
  if (value === undefined) return ""; // a deleted root: an empty body
  return JSON.stringify(value).replace(/"@@raw:(.*?)@@"/g, (_m, text: string) => text);
}

const deepNest = fc
  .tuple(fc.integer({ min: 1, max: 3000 }), fc.boolean())
  .map(([depth, asArray]) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
    return v;
  });

/** A value of any wrong or extreme kind. */
export const adversarialValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -0,
    -1,
    1e308,
    -1e308,
    5e-324,
    2 ** 53 + 1,
    "",
    " ",
    "NaN",
    "1",
    "\u0000",
    "\ud800",
    "🙂".repeat(300),
    [],
    {},
    [null],
    { __proto__: 1 },
    { constructor: { prototype: 1 } },
    rawJson("1e999"),
    rawJson("-1e999"),
    rawJson("1e-999"),
    rawJson("123456789012345678901234567890"),
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.integer({ min: 1000, max: 300_000 }).map((n) => "x".repeat(n)),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  deepNest,
);

const isoDay = fc
  .date({
    min: new Date("1990-01-01T00:00:00Z"),
    max: new Date("2030-12-31T00:00:00Z"),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString().slice(0, 10));

const summary = fc.oneof(
  fc
    .tuple(
      fc.integer({ min: 0, max: 60 }),
      fc.double({ min: 0, max: 80, noNaN: true }),
      fc.double({ min: 0, max: 80, noNaN: true }),
    )
    .map(([x, a, b]) => {
      const T = Math.max(a, b);
      return { frequency: x, recency: x === 0 ? 0 : Math.min(a, b), T, monetary: 1 + (a % 50) };
    }),
  fc.record({ frequency: fc.double(), recency: fc.double(), T: fc.double() }),
);

const transactions = fc.array(
  fc.record({ at: isoDay, amount: fc.double({ min: 0, max: 1000, noNaN: true }) }),
  { minLength: 0, maxLength: 20 },
);

/** A customer in one of the forms the services accept, sometimes slightly off. */
export function customerArb(knownIds: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const id = fc.oneof(fc.constantFrom(...knownIds), fc.string({ minLength: 0, maxLength: 300 }));
  return fc.oneof(
    fc.record({ id }),
    fc.record({ id, summary }),
    fc.record({ id, transactions }),
    fc.record({ id, summary, transactions }),
  );
}

const horizon = fc.record({
  value: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.double({ min: -10, max: 1e6 })),
  unit: fc.constantFrom("day", "week", "month"),
});

const action = fc.record({
  id: fc.oneof(fc.constantFrom("email", "sms", "call", "none"), fc.string({ maxLength: 10 })),
  cost: fc.double({ min: -1, max: 50, noNaN: true }),
  uplift: fc.double({ min: -2, max: 2, noNaN: true }),
  margin: fc.double({ min: 0, max: 100, noNaN: true }),
});

/** Campaign fields, sometimes: ids valid or not, shares in and out of [0, 0.5]. */
const campaignFields = {
  campaign: fc.oneof(fc.constantFrom("spring-24", "fuzz:1"), fc.string({ maxLength: 140 })),
  control_share: fc.oneof(fc.constantFrom(0, 0.2, 0.5), fc.double({ min: -1, max: 2 })),
};

/** Customers with duplicates on purpose, now and then, and empty lists. */
function customers(knownIds: readonly string[], max: number) {
  return fc
    .tuple(fc.array(customerArb(knownIds), { minLength: 0, maxLength: max }), fc.boolean())
    .map(([list, duplicate]) => (duplicate && list.length > 0 ? [...list, ...list] : list));
}

/** Bodies that are valid or nearly so, per route. */
export function validishBodies(knownIds: readonly string[]) {
  return {
    forecast: fc.record(
      {
        horizon,
        discount_rate: fc.double({ min: -1, max: 12 }),
        as_of: isoDay,
        customers: customers(knownIds, 6),
      },
      { requiredKeys: ["horizon", "customers"] },
    ),
    decision: fc.record(
      {
        customer: customerArb(knownIds),
        horizon,
        actions: fc.array(action, { maxLength: 5 }),
        ...campaignFields,
      },
      { requiredKeys: ["customer", "horizon", "actions"] },
    ),
    batch: fc.record(
      {
        customers: customers(knownIds, 8),
        horizon,
        actions: fc.array(action, { maxLength: 5 }),
        budget: fc.double({ min: -5, max: 500 }),
        ...campaignFields,
      },
      { requiredKeys: ["customers", "horizon", "actions", "budget"] },
    ),
    policy: fc.record({
      name: fc.oneof(fc.constantFrom("default", "fuzz"), fc.string({ maxLength: 20 })),
      definition: fc.oneof(fc.jsonValue({ maxDepth: 3 }), deepNest),
    }),
  };
}

/** Every JSON path of `value` (objects and arrays), root included. */
function paths(
  value: unknown,
  prefix: Array<string | number> = [],
  out: Array<Array<string | number>> = [],
) {
  out.push(prefix);
  if (prefix.length > 6) return out;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) paths(v, [...prefix, i], out);
  } else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

type Mutation = { at: number; op: "set" | "delete" | "empty"; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom("set", "set", "delete", "empty"),
  value: adversarialValue,
});

/**
 * Applies mutations to a deep copy: a wrong value, a missing field or an empty container. Each
 * value set is a copy too: `fc.constantFrom` hands out the same `{}` and `[null]` every time, so
 * setting one inside itself made a cycle (and mutating it changed the constant for later runs).
 */
export function mutate(body: unknown, mutations: readonly Mutation[]): unknown {
  let root: unknown = structuredClone(body);
  for (const m of mutations) {
    const all = paths(root);
    const path = all[m.at % all.length] as Array<string | number>;
    const value = structuredClone(m.value);
    if (path.length === 0) {
      root = m.op === "set" ? value : m.op === "empty" ? {} : undefined;
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path[path.length - 1] as string | number;
    if (m.op === "set") parent[last] = value;
    else if (m.op === "empty") parent[last] = Array.isArray(parent[last]) ? [] : {};
    else if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  }
  return root;
}

const encoder = new TextEncoder();

/** How a body goes on the wire: clean JSON, with invalid UTF-8 spliced in, raw junk, or nothing. */
function encodings(body: fc.Arbitrary<unknown>): fc.Arbitrary<{ bytes: Uint8Array; how: string }> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: body.map((b) => ({ bytes: encoder.encode(serialise(b)), how: "json" })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          body,
          fc.array(fc.tuple(fc.nat(), fc.constantFrom(0xff, 0xfe, 0xc3, 0xe2, 0x80, 0xed)), {
            minLength: 1,
            maxLength: 4,
          }),
        )
        .map(([b, cuts]) => {
          const clean = Array.from(encoder.encode(serialise(b)));
          for (const [at, byte] of cuts) clean.splice(at % (clean.length + 1), 0, byte);
          return { bytes: Uint8Array.from(clean), how: "invalid-utf8" };
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 2000 })
        .map((bytes) => ({ bytes, how: "random-bytes" })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          "",
          "{",
          "[".repeat(100_000),
          `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`,
          "null",
          "NaN",
          '{"horizon": Infinity}',
          "\ufeff{}",
          '{"customers": 1e999}',
        )
        .map((text) => ({ bytes: encoder.encode(text), how: "junk-text" })),
    },
  );
}

const contentTypes = fc.oneof(
  { weight: 6, arbitrary: fc.constant("application/json") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      "application/problem+json",
      "application/json; charset=latin1",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/octet-stream",
      "",
      "json",
      "application/json, text/plain",
    ),
  },
);

export interface Endpoint {
  method: string;
  path: string;
  body?: fc.Arbitrary<unknown>;
}

/** Requests to `endpoints`: mostly well-aimed with mutated bodies, sometimes wrong method or path. */
export function requestArb(
  endpoints: readonly Endpoint[],
  options: { authorization?: fc.Arbitrary<string | undefined> } = {},
): fc.Arbitrary<RequestSpec> {
  const authorization = options.authorization ?? fc.constant(undefined);
  const endpoint = fc.constantFrom(...endpoints);
  const method = fc.oneof(
    { weight: 8, arbitrary: fc.constant(null) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"),
    },
  );
  const pathNoise = fc.oneof(
    { weight: 8, arbitrary: fc.constant("") },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "/",
        "?x=%zz",
        "?name=%ff",
        "/%ff",
        "//x",
        "?a=1&a=2",
        "/..%2f..",
        "#frag",
      ),
    },
  );
  return fc
    .tuple(
      endpoint,
      method,
      pathNoise,
      contentTypes,
      authorization,
      fc.array(mutation, { maxLength: 3 }),
    )
    .chain(([ep, m, noise, contentType, auth, mutations]) => {
      const chosen = m ?? ep.method;
      const hasBody = chosen !== "GET" && chosen !== "HEAD";
      const body =
        ep.body && hasBody
          ? encodings(ep.body.map((b) => mutate(b, mutations)))
          : fc.constant(null);
      return body.map((encoded) => {
        const headers: Record<string, string> = {};
        if (encoded) headers["content-type"] = contentType;
        if (auth !== undefined) headers.authorization = auth;
        return {
          method: chosen,
          path: ep.path + noise,
          headers,
          ...(encoded ? { body: encoded.bytes } : {}),
          label: `${chosen} ${ep.path + noise} [${encoded?.how ?? "no body"}, ${contentType || "no content-type"}, ${mutations.length} mutations]`,
          // Counterexamples are printed by label and the body's head, not megabytes of bytes.
          [fc.toStringMethod]() {
            const head = encoded ? new TextDecoder().decode(encoded.bytes.slice(0, 300)) : "";
            return `${this.label} ${JSON.stringify(head)} (${encoded?.bytes.length ?? 0} bytes)`;
          },
        } as RequestSpec;
      });
    });
}

export interface CheckedAnswer {
  status: number;
  code?: string;
}

/**
 * The invariant: never a 5xx; a 4xx (and any error) is JSON `{error: {code, message}}`; a 2xx
 * passes `validResult` when given. Returns the status and error code; throws on a violation.
 */
export async function checkAnswer(
  spec: RequestSpec,
  res: Response,
  validResult?: (spec: RequestSpec, body: unknown) => void,
): Promise<CheckedAnswer> {
  const text = await res.text();
  const where = `${spec.label} -> ${res.status}: ${text.slice(0, 300)}`;
  if (res.status >= 500) throw new Error(`5xx answer: ${where}`);
  if (spec.method === "HEAD") return { status: res.status };
  if (res.status >= 400) {
    let parsed: { error?: { code?: unknown; message?: unknown } };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`error answer is not JSON: ${where}`);
    }
    if (!(res.headers.get("content-type") ?? "").includes("application/json"))
      throw new Error(`error answer without a JSON content type: ${where}`);
    if (typeof parsed.error?.code !== "string" || typeof parsed.error.message !== "string")
      throw new Error(`error answer without error.code/message: ${where}`);
    return { status: res.status, code: parsed.error.code };
  }
  if ((res.headers.get("content-type") ?? "").includes("application/json")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`2xx JSON answer does not parse: ${where}`);
    }
    validResult?.(spec, parsed);
  }
  return { status: res.status };
}

/** Bytes that are not UTF-8 (for the explicit cases). */
export const invalidUtf8Json = Uint8Array.from([
  ...encoder.encode('{"horizon":{"value":4,"unit":"week"},"customers":[{"id":"'),
  0xff,
  0xfe,
  0xc3,
  0x28,
  ...encoder.encode('"}]}'),
]);
