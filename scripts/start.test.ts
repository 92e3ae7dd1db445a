// The README's first run: `npm start` on a fresh DATA_DIR hosts the embedded database, creates one
// local development key and prints it once with a curl line; that very line (run by the shell)
// gets a 200 from /decision with a real action for the README's example customer. A second start
// prints no key; NODE_ENV=production, DATABASE_URL or API_KEYS never get one.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { devKeyAllowed } from "@pp/decision/src/cli/dev-key.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { type Proc, startBun, stopProc, waitForHttp } from "@pp/shared/testing/processes.ts";

setDefaultTimeout(300_000);
const root = resolve(import.meta.dirname, "..");
const dataDir = mkdtempSync(join(tmpdir(), "pp-first-run-"));
let running: Proc | null = null;
afterAll(async () => {
  if (running) await stopProc(running, "SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

/** Rejects when the process exits (it may have stopped everything: no point in waiting). */
function exitOf(proc: Proc): Promise<never> {
  return new Promise((_, reject) =>
    proc.child.once("exit", (code, signal) =>
      reject(new Error(`npm start exited (${signal ?? code})`)),
    ),
  );
}

/**
 * `npm start` on fresh ports, until both services answer. A port freePort picked can be taken
 * before a service binds it (another process's outgoing connection): then it starts again on
 * others; any other failure is reported with the start's output.
 */
async function start(first: boolean): Promise<Proc> {
  for (let attempt = 1; ; attempt++) {
    // A first start tried again begins on an empty store again (the failed try made the key).
    if (first && attempt > 1) {
      rmSync(dataDir, { recursive: true, force: true });
      mkdirSync(dataDir);
    }
    const ports = { forecast: await freePort(), decision: await freePort() };
    const proc = startBun("start", join(root, "scripts/start.ts"), {
      DATA_DIR: dataDir,
      FORECAST_PORT: String(ports.forecast),
      DECISION_PORT: String(ports.decision),
      DATABASE_URL: "",
      API_KEYS: "",
      NODE_ENV: "",
      LOG_LEVEL: "warn",
    });
    running = proc;
    const base = (port: number) => `http://127.0.0.1:${port}`;
    try {
      await Promise.race([
        (async () => {
          await waitForHttp(`${base(ports.forecast)}/ready`, (s) => s === 200, "forecast");
          await waitForHttp(`${base(ports.decision)}/health`, (s) => s === 200, "decision");
        })(),
        exitOf(proc),
      ]);
      return proc;
    } catch (error) {
      await stopProc(proc, "SIGKILL");
      const portTaken = proc.output.some((l) => /EADDRINUSE|address already in use/i.test(l));
      if (!portTaken || attempt === 3) {
        throw new Error(`${error}\n--- npm start's output:\n${proc.output.slice(-40).join("\n")}`);
      }
    }
  }
}

/** Waits (bounded) for the printed curl line. */
async function curlLine(proc: Proc): Promise<string> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const line = proc.output.find((l) => l.startsWith("curl -s localhost:"));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no curl line printed:\n${proc.output.slice(-30).join("\n")}`);
}

/** Whether each port still answers /health after polling up to 15 s for it to stop (false: stopped). */
async function stillServing(ports: number[]): Promise<boolean[]> {
  const answers = (port: number) =>
    fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
  const deadline = Date.now() + 15_000;
  let up = ports.map(() => true);
  while (Date.now() < deadline && up.some(Boolean)) {
    await new Promise((r) => setTimeout(r, 250));
    up = await Promise.all(ports.map(answers));
  }
  return up;
}

test("devKeyAllowed: only on the embedded default, outside production, without API_KEYS", () => {
  expect(devKeyAllowed({})).toBe(true);
  expect(devKeyAllowed({ DATA_DIR: "/x" })).toBe(true);
  expect(devKeyAllowed({ DATABASE_URL: "postgres://h/db" })).toBe(false);
  expect(devKeyAllowed({ NODE_ENV: "production" })).toBe(false);
  expect(devKeyAllowed({ API_KEYS: "k1" })).toBe(false);
});

test("npm start prints one dev key whose curl line decides a real action; a restart prints none", async () => {
  let proc = await start(true);
  const line = await curlLine(proc);
  const keys = proc.output.filter((l) => /^\s+ppk_/.test(l));
  expect(keys).toHaveLength(1);
  // The exact printed line, run by the shell as a user would paste it (with the status appended).
  const { stdout } = await new Promise<{ stdout: string }>((resolvePromise, reject) =>
    execFile("sh", ["-c", `${line} -w '\\n%{http_code}'`], { timeout: 30_000 }, (err, out) =>
      err ? reject(err) : resolvePromise({ stdout: out }),
    ),
  );
  const [body, status] = [stdout.slice(0, stdout.lastIndexOf("\n")), stdout.split("\n").at(-1)];
  expect(status, body).toBe("200");
  const decision = JSON.parse(body) as { chosen: string; customer_id: string };
  expect(decision.customer_id).toBe("c-42");
  expect(decision.chosen).not.toBe("none");
  await stopProc(proc, "SIGTERM");

  proc = await start(false);
  await new Promise((r) => setTimeout(r, 1500));
  expect(proc.output.some((l) => l.startsWith("curl -s localhost:"))).toBe(false);
  expect(proc.output.some((l) => /^\s+ppk_/.test(l))).toBe(false);
  await stopProc(proc, "SIGTERM");
});

test("npm start on a taken port stops at once, naming the port and the variable, before any work", async () => {
  const holder = createServer();
  await new Promise<void>((done) => holder.listen(0, "0.0.0.0", done));
  const taken = (holder.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), "pp-taken-port-"));
  try {
    const proc = startBun("start", join(root, "scripts/start.ts"), {
      DATA_DIR: dir,
      FORECAST_PORT: String(await freePort()),
      DECISION_PORT: String(taken),
      DATABASE_URL: "",
      API_KEYS: "",
    });
    const code = await new Promise<number | null>((done) => proc.child.once("exit", done));
    expect(code).toBe(1);
    expect(proc.output).toEqual([
      `[decision] cannot listen on 0.0.0.0:${taken}: address already in use (EADDRINUSE); stop the process holding it, or start on another port with DECISION_PORT=…`,
    ]);
    // Nothing was started: no embedded store was created, no demo model trained.
    expect(readdirSync(dir)).toEqual([]);
  } finally {
    holder.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm start stopped with SIGTERM stops the services (its shell did not pass the signal on)", async () => {
  const ports = { forecast: await freePort(), decision: await freePort() };
  const npm = spawn("npm", ["start", "--silent"], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: dataDir, // made by the first test: no demo model to train
      FORECAST_PORT: String(ports.forecast),
      DECISION_PORT: String(ports.decision),
      DATABASE_URL: "",
      API_KEYS: "",
      LOG_LEVEL: "warn",
    },
    stdio: "ignore",
  });
  try {
    await waitForHttp(`http://127.0.0.1:${ports.forecast}/ready`, (s) => s === 200, "forecast");
    await waitForHttp(`http://127.0.0.1:${ports.decision}/health`, (s) => s === 200, "decision");
    npm.kill("SIGTERM");
    const up = await stillServing([ports.forecast, ports.decision]);
    // Both answered /health for good after npm had gone.
    expect(up).toEqual([false, false]);
  } finally {
    npm.kill("SIGKILL");
  }
});

test("npm run start:decision stopped with SIGTERM stops the service (npm's shell dropped the signal)", async () => {
  const port = await freePort();
  const npm = spawn("npm", ["run", "start:decision", "--silent"], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: mkdtempSync(join(tmpdir(), "pp-start-decision-")),
      PORT: String(port),
      DATABASE_URL: "",
      API_KEYS: "",
      LOG_LEVEL: "warn",
    },
    stdio: "ignore",
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`, (s) => s === 200, "decision");
    npm.kill("SIGTERM");
    const [up] = await stillServing([port]);
    // It answered /health for good after npm had gone, holding its port.
    expect(up).toBe(false);
  } finally {
    npm.kill("SIGKILL");
  }
}, 60_000);

test("npm start's runner killed with SIGKILL (the OOM killer's pick: it hosts the store) takes its services along", async () => {
  const ports = { forecast: await freePort(), decision: await freePort() };
  const proc = startBun("start", join(root, "scripts/start.ts"), {
    DATA_DIR: dataDir,
    FORECAST_PORT: String(ports.forecast),
    DECISION_PORT: String(ports.decision),
    DATABASE_URL: "",
    API_KEYS: "",
    LOG_LEVEL: "warn",
  });
  try {
    await waitForHttp(`http://127.0.0.1:${ports.forecast}/ready`, (s) => s === 200, "forecast");
    await waitForHttp(`http://127.0.0.1:${ports.decision}/health`, (s) => s === 200, "decision");
    proc.child.kill("SIGKILL");
    const up = await stillServing([ports.forecast, ports.decision]);
    // Orphaned, both kept their ports: the next `npm start` failed with EADDRINUSE.
    expect(up).toEqual([false, false]);
  } finally {
    await stopProc(proc, "SIGKILL");
  }
});

test("npm start with a DATABASE_URL or DATA_DIR it cannot use names the variable and what to check", async () => {
  const closed = await freePort(); // nothing listens there
  const url = process.env.DATABASE_URL_TEST ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const missingDb = new URL(url);
  missingDb.pathname = "/pp_no_such_database_here";
  const cases: [string, RegExp][] = [
    [
      `postgres://u:s3cret@127.0.0.1:${closed}/db`,
      /could not reach the database at DATABASE_URL=postgres:\/\/u:\*\*\*@127\.0\.0\.1:\d+\/db \(ECONNREFUSED/,
    ],
    [
      missingDb.toString(),
      /the database at DATABASE_URL=\S+pp_no_such_database_here refused the connection \(3D000: .*check its database name/,
    ],
  ];
  for (const [databaseUrl, expected] of cases) {
    const proc = startBun("start", join(root, "scripts/start.ts"), {
      DATABASE_URL: databaseUrl,
      FORECAST_PORT: String(await freePort()),
      DECISION_PORT: String(await freePort()),
    });
    const code = await new Promise<number | null>((done) => proc.child.once("exit", done));
    expect(code).toBe(1);
    // It said `[forecast] demo model not seeded: connect ECONNREFUSED 127.0.0.1:…`, no variable.
    const line = proc.output.find((l) => l.startsWith("[forecast] demo model not seeded"));
    expect(line).toMatch(expected);
    expect(proc.output.join("\n")).not.toContain("s3cret");
  }
  // A DATA_DIR that is a file is named by its variable too.
  const notAFolder = join(mkdtempSync(join(tmpdir(), "pp-start-file-")), "a-file");
  writeFileSync(notAFolder, "");
  const proc = startBun("start", join(root, "scripts/start.ts"), {
    DATABASE_URL: "",
    DATA_DIR: notAFolder,
    FORECAST_PORT: String(await freePort()),
    DECISION_PORT: String(await freePort()),
  });
  expect(await new Promise((done) => proc.child.once("exit", done))).toBe(1);
  expect(proc.output.join("\n")).toMatch(
    /^error: could not open the embedded store at DATA_DIR=\S+a-file: EEXIST/,
  );
  // The decision service's store apart (DECISION_DATA_DIR) is named by its own variable: the line
  // said DATA_DIR= and the good directory.
  const apart = startBun("start", join(root, "scripts/start.ts"), {
    DATABASE_URL: "",
    DATA_DIR: mkdtempSync(join(tmpdir(), "pp-start-good-")),
    DECISION_DATA_DIR: notAFolder,
    FORECAST_PORT: String(await freePort()),
    DECISION_PORT: String(await freePort()),
  });
  expect(await new Promise((done) => apart.child.once("exit", done))).toBe(1);
  expect(apart.output.join("\n")).toMatch(
    /^error: could not open the embedded store at DECISION_DATA_DIR=\S+a-file: EEXIST/,
  );
  rmSync(dirname(notAFolder), { recursive: true, force: true });
});
