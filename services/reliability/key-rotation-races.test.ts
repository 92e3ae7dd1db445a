// Two rotations of one API key at once, and hostile values in every field of the admin key
// endpoints, against a real decision process on each store (PostgreSQL; the embedded PGlite store
// it hosts). Rotations at once (two admin requests, two `keys rotate` processes, one of each): one
// wins (201 / exit 0), the other is a 409 / exit 1 naming the winner's key; the name then has the
// old key and exactly one successor, and the old key's grace is the winner's. A rotation and a
// revocation at once: the old key ends revoked, with a successor only when the rotation came
// first (else the rotation is a 404). Hostile values:
// a 400 naming the field, and every stored key as it was (rows listed before and after); a key id
// is decimal digits (the path's and the keys CLI's: "0x10" had revoked key 16), and so are the
// CLI's --grace-hours and --expires-in-days.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { apiKeys } from "@pp/shared/db/schema.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { runBun } from "@pp/shared/testing/processes.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { asc, eq } from "drizzle-orm";
import { ApiKeyStore } from "../decision/src/index.ts";
import { decisionReadyOn, forecastStubAroundTests, killHard } from "../testing/decision-traffic.ts";
import type { ServiceProcess } from "../testing/service-processes.ts";

const KEYS_CLI = resolve(import.meta.dirname, "../decision/src/cli/keys.ts");
const ADMIN = "key-rotation-races-admin-0123456789";

/** A 201 (the new key's id) or an error answer. */
interface Answer {
  id: number;
  error: { code: string; message: string };
}
const HOUR = 3_600_000;

const forecast = forecastStubAroundTests();

for (const driver of ["postgres", "pglite"] as const) {
  describe(`on ${driver}`, () => {
    let t: TestDatabase;
    let service: ServiceProcess;
    let storeEnv: Record<string, string>;

    beforeAll(async () => {
      t = await openTestDatabase(driver);
      storeEnv = t.options.databaseUrl
        ? { DATABASE_URL: t.options.databaseUrl }
        : { DECISION_DATA_DIR: t.options.dataDir as string };
      // On PGlite the service hosts the store; this process reaches it as a client.
      if (driver === "pglite") await t.handle.close();
      service = await decisionReadyOn(await freePort(), {
        ...storeEnv,
        ADMIN_API_KEYS: ADMIN,
        FORECAST_URL: forecast.url,
      });
      if (driver === "pglite") {
        const { createDatabase } = await import("@pp/shared/db/client.ts");
        t.handle = await createDatabase({ dataDir: t.options.dataDir as string });
      }
    }, 120_000);

    afterAll(async () => {
      if (service && !service.exited()) await killHard(service);
      await t?.cleanup().catch(() => {});
    });

    const adminRequest = (path: string, body?: string, contentType = "application/json") =>
      fetch(`${service.base}${path}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${ADMIN}`,
          ...(body === undefined ? {} : { "content-type": contentType }),
        },
        ...(body === undefined ? {} : { body }),
      });

    const rowsNamed = (name: string) =>
      t.handle.db.select().from(apiKeys).where(eq(apiKeys.name, name)).orderBy(asc(apiKeys.id));

    /** The name has the old key replaced by exactly `winner`, with `graceHours` from about now. */
    async function oneSuccessor(name: string, oldId: number, winner: number, graceHours: number) {
      const rows = await rowsNamed(name);
      expect(rows.map((r) => r.id)).toEqual([oldId, winner]);
      const [old, successor] = rows;
      expect(old?.replacedBy).toBe(winner);
      const grace = (old?.expiresAt?.getTime() ?? 0) - Date.now();
      expect(grace).toBeGreaterThan(graceHours * HOUR - 120_000);
      expect(grace).toBeLessThanOrEqual(graceHours * HOUR);
      expect(successor?.replacedBy).toBeNull();
      expect(successor?.revokedAt).toBeNull();
    }

    // Rate limits and Idempotency-Keys are scoped by a key's name: a second key of one name was
    // replayed the first's decisions. Creates at once (requests, a CLI process) cannot both pass.
    test("a name in use is a 409 naming its key, also for creates at once; revoked or expired, it is free", async () => {
      const create = async (name: string) => {
        const res = await adminRequest("/admin/keys", JSON.stringify({ name }));
        return { status: res.status, body: (await res.json()) as Answer };
      };
      for (let round = 0; round < 3; round++) {
        const name = `shared-name-${round}`;
        const answers = await Promise.all([create(name), create(name), create(name)]);
        expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
        const won = answers.find((a) => a.status === 201)!;
        for (const lost of answers.filter((a) => a.status === 409)) {
          expect(lost.body.error.message).toContain(
            `an API key named "${name}" is in use (key ${won.body.id})`,
          );
        }
        expect((await rowsNamed(name)).length).toBe(1);
      }
      // A `keys create` process beside a request.
      const [cli, http] = await Promise.all([
        runBun(KEYS_CLI, ["create", "cli-and-http"], storeEnv),
        create("cli-and-http"),
      ]);
      expect([cli.status === 0, http.status === 201].sort()).toEqual([false, true]);
      expect((await rowsNamed("cli-and-http")).length).toBe(1);
      // Revoked, the name can be given again; a rotation keeps it (its successor shares it).
      const store = new ApiKeyStore(t.handle.db);
      const first = await store.create("reused");
      await store.revoke(first.id);
      const second = await create("reused");
      expect(second.status).toBe(201);
      const rotated = await adminRequest(`/admin/keys/${second.body.id}/rotate`, "{}");
      expect(rotated.status).toBe(201);
      // Expired, too.
      await store.create("lapsed", ["decide"], new Date(Date.now() - 1000));
      expect((await create("lapsed")).status).toBe(201);
    }, 120_000);

    test("two rotations at once: one successor, the winner's grace, the loser a 409 naming it", async () => {
      const store = new ApiKeyStore(t.handle.db);
      const outcomes: string[] = [];
      // Two admin requests at once (grace 1 h and 5 h), five times.
      for (let round = 0; round < 5; round++) {
        const name = `twice-http-${round}`;
        const made = await store.create(name);
        const answers = await Promise.all(
          [1, 5].map(async (grace) => {
            const res = await adminRequest(
              `/admin/keys/${made.id}/rotate`,
              JSON.stringify({ grace_hours: grace }),
            );
            return { grace, status: res.status, body: (await res.json()) as Answer };
          }),
        );
        expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
        const won = answers.find((a) => a.status === 201)!;
        const lost = answers.find((a) => a.status === 409)!;
        expect(lost.body.error.code).toBe("conflict");
        expect(lost.body.error.message).toContain(
          `API key ${made.id} was already rotated: it was replaced by key ${won.body.id}`,
        );
        await oneSuccessor(name, made.id, won.body.id, won.grace);
        outcomes.push(`${won.grace} h won`);
        // The admin listing says which key replaced it.
        const listed = (await (
          await fetch(`${service.base}/admin/keys`, {
            headers: { authorization: `Bearer ${ADMIN}` },
          })
        ).json()) as { keys: Array<{ id: number; replaced_by: number | null }> };
        expect(listed.keys.filter((k) => k.id === made.id || k.id === won.body.id)).toMatchObject([
          { id: made.id, replaced_by: won.body.id },
          { id: won.body.id, replaced_by: null },
        ]);
      }
      // Two `keys rotate` processes at once, then a process and a request at once.
      for (let round = 0; round < 2; round++) {
        const name = `twice-cli-${round}`;
        const made = await store.create(name);
        const rotations = [1, 5].map(async (grace) => {
          if (round === 1 && grace === 5) {
            const res = await adminRequest(
              `/admin/keys/${made.id}/rotate`,
              JSON.stringify({ grace_hours: grace }),
            );
            const body = (await res.json()) as Answer;
            return { grace, won: res.status === 201, id: body.id, said: JSON.stringify(body) };
          }
          const run = await runBun(
            KEYS_CLI,
            ["rotate", String(made.id), "--grace-hours", String(grace)],
            storeEnv,
          );
          expect([0, 1]).toContain(run.status as number);
          const id = Number(/replaced by key #(\d+)/.exec(run.stderr)?.[1]);
          return { grace, won: run.status === 0, id, said: run.stderr };
        });
        const [a, b] = await Promise.all(rotations);
        expect([a?.won, b?.won].sort()).toEqual([false, true]);
        const won = (a?.won ? a : b)!;
        const lost = (a?.won ? b : a)!;
        expect(lost.said).toContain(`API key ${made.id} was already rotated`);
        await oneSuccessor(name, made.id, won.id, won.grace);
        outcomes.push(`${won.grace} h won`);
      }
      console.log(`${driver}: 7 double rotations, ${outcomes.join(", ")}`);
    }, 120_000);

    test("a rotation and a revocation of one key at once: the old key ends revoked; a successor only from a rotation that came first", async () => {
      const store = new ApiKeyStore(t.handle.db);
      const seen: string[] = [];
      for (let round = 0; round < 6; round++) {
        const name = `rotate-revoke-${round}`;
        const made = await store.create(name);
        const [rotated, revoked] = await Promise.all([
          adminRequest(`/admin/keys/${made.id}/rotate`),
          adminRequest(`/admin/keys/${made.id}/revoke`),
        ]);
        expect(revoked.status).toBe(200);
        const rows = await rowsNamed(name);
        expect(rows[0]?.revokedAt).not.toBeNull();
        if (rotated.status === 201) {
          const successor = (await rotated.json()) as Answer;
          expect(rows.map((r) => [r.id, r.replacedBy, r.revokedAt === null])).toEqual([
            [made.id, successor.id, false],
            [successor.id, null, true],
          ]);
        } else {
          expect(rotated.status).toBe(404);
          expect(rows.length).toBe(1);
        }
        seen.push(String(rotated.status));
      }
      console.log(
        `${driver}: rotation and revocation at once, rotation answered ${seen.join(", ")}`,
      );
    }, 60_000);

    test("hostile values in every field of the admin key endpoints: 400 naming it, nothing stored changes", async () => {
      const target = await new ApiKeyStore(t.handle.db).create("hostile-target");
      const before = await t.handle.db.select().from(apiKeys).orderBy(asc(apiKeys.id));
      const create = (fields: string) => `{"name":"ok-name",${fields}}`;
      const cases: Array<[path: string, body: string | undefined, field: string]> = [
        ["/admin/keys", '{"name":"a\\u0000b"}', "name"],
        ["/admin/keys", '{"name":"ab\\ud800"}', "name"],
        ["/admin/keys", '{"name":"\\udfff"}', "name"],
        ["/admin/keys", JSON.stringify({ name: "a".repeat(10_000) }), "name"],
        ["/admin/keys", JSON.stringify({ name: "a".repeat(129) }), "name"],
        ["/admin/keys", '{"name":""}', "name"],
        ["/admin/keys", '{"name":" lead"}', "name"],
        ["/admin/keys", '{"name":123}', "name"],
        ["/admin/keys", '{"name":null}', "name"],
        ["/admin/keys", '{"name":["x"]}', "name"],
        ["/admin/keys", "{}", "name"],
        ["/admin/keys", create('"expires_in_days":1e308'), "expires_in_days"],
        ["/admin/keys", create('"expires_in_days":1e999'), "expires_in_days"],
        ["/admin/keys", create('"expires_in_days":-0'), "expires_in_days"],
        ["/admin/keys", create('"expires_in_days":0'), "expires_in_days"],
        ["/admin/keys", create('"expires_in_days":"NaN"'), "expires_in_days"],
        ["/admin/keys", create('"expires_in_days":"30"'), "expires_in_days"],
        ["/admin/keys", create('"expires_in_days":1.5'), "expires_in_days"],
        ["/admin/keys", create('"expires_in_days":5e-324'), "expires_in_days"],
        ["/admin/keys", create('"expires_in_days":9007199254740993'), "expires_in_days"],
        ["/admin/keys", create('"expires_in_days":[30]'), "expires_in_days"],
        ["/admin/keys", create('"scopes":["decide\\u0000"]'), "scopes"],
        ["/admin/keys", create('"scopes":["root"]'), "scopes"],
        ["/admin/keys", create('"scopes":"admin"'), "scopes"],
        ["/admin/keys", create('"scopes":[]'), "scopes"],
        ["/admin/keys", create('"scopes":["decide","admin","decide"]'), "scopes"],
        [`/admin/keys/${target.id}/rotate`, '{"grace_hours":1e308}', "grace_hours"],
        [`/admin/keys/${target.id}/rotate`, '{"grace_hours":1e999}', "grace_hours"],
        [`/admin/keys/${target.id}/rotate`, '{"grace_hours":-1e-300}', "grace_hours"],
        [`/admin/keys/${target.id}/rotate`, '{"grace_hours":"NaN"}', "grace_hours"],
        [`/admin/keys/${target.id}/rotate`, '{"grace_hours":721}', "grace_hours"],
        [`/admin/keys/${target.id}/rotate`, '{"grace_hours":null}', "grace_hours"],
        [`/admin/keys/${target.id}/rotate`, '{"grace_hours":{}}', "grace_hours"],
        [`/admin/keys/${target.id}/rotate`, '{"expires_in_days":-0}', "expires_in_days"],
        [`/admin/keys/${target.id}/rotate`, '{"expires_in_days":1e308}', "expires_in_days"],
        [`/admin/keys/${target.id}/rotate`, '{"expires_in_days":"NaN"}', "expires_in_days"],
        [`/admin/keys/${target.id}/rotate`, '{"grace":1}', "grace"],
        [`/admin/keys/${target.id}/rotate`, '{"name\\u0000":1}', "name\\u0000"],
        [`/admin/keys/${target.id}/rotate`, "[]", "body"],
        [`/admin/keys/${target.id}/rotate`, "null", "body"],
        [`/admin/keys/${target.id}/rotate`, '{"grace_hours":NaN}', "body"],
        [`/admin/keys/${target.id}/rotate`, '{"grace_hours":1,"grace_hours":1e308}', "grace_hours"],
      ];
      // The key id in the path: decimal digits within int4, nothing Number() would also read.
      for (const id of [
        "abc",
        "0",
        "-1",
        "1.5",
        "1e308",
        "2147483648",
        "%00",
        "%F0%9F",
        "Infinity",
      ]) {
        cases.push([`/admin/keys/${id}/rotate`, undefined, "id"]);
        cases.push([`/admin/keys/${id}/revoke`, undefined, "id"]);
      }
      for (const id of [`0x${target.id.toString(16)}`, `${target.id}e0`, `+${target.id}`]) {
        cases.push([`/admin/keys/${id}/rotate`, undefined, "id"]);
        cases.push([`/admin/keys/${id}/revoke`, undefined, "id"]);
      }
      const wrong: string[] = [];
      for (const [path, body, field] of cases) {
        const res = await adminRequest(path, body);
        const text = await res.text();
        // The field's path (scopes.0 for an element), or an unknown field quoted in the message.
        const named = text.includes(`"path":"${field}`) || text.includes(`\\"${field}\\"`);
        if (res.status !== 400 || !named || !text.startsWith('{"error":')) {
          wrong.push(`${path} ${body?.slice(0, 60)}: ${res.status} ${text.slice(0, 200)}`);
        }
      }
      // The keys CLI reads its ID argument and number options the same way (exit 2, usage).
      const id = String(target.id);
      for (const [args, said] of [
        [["revoke", `0x${target.id.toString(16)}`], "ID must be decimal digits"],
        [["rotate", `${target.id}e0`], "ID must be decimal digits"],
        [["revoke", `+${target.id}`], "ID must be decimal digits"],
        [["rotate", id, "--grace-hours", "0x10"], "--grace-hours must be a number"],
        [["rotate", id, "--grace-hours", "Infinity"], "--grace-hours must be a number"],
        [["rotate", id, "--expires-in-days", "1e1"], "--expires-in-days must be a number"],
      ] as const) {
        const run = await runBun(KEYS_CLI, [...args], storeEnv);
        if (run.status !== 2 || !run.stderr.includes(said)) {
          wrong.push(`keys ${args.join(" ")}: exit ${run.status} ${run.stderr.slice(0, 200)}`);
        }
      }
      expect(wrong).toEqual([]);
      // Not a byte changed: no key made, none rotated, revoked or given an expiry.
      expect(await t.handle.db.select().from(apiKeys).orderBy(asc(apiKeys.id))).toEqual(before);
      console.log(
        `${driver}: ${cases.length} hostile admin requests and 6 keys CLI runs, ${before.length} rows unchanged`,
      );
    }, 90_000);
  });
}
