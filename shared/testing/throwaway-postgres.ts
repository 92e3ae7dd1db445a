// Test support: a throwaway PostgreSQL cluster (a copy of initdb's output + pg_ctl in a temp dir,
// on its own port) that fault tests may stop and start at will, never touching the shared server.
// initdb refuses root, so the cluster runs as the `postgres` OS user when we are root.
import { execFileSync } from "node:child_process";
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";

/** The newest /usr/lib/postgresql/<v>/bin holding initdb, or null. */
export function postgresBinDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions)
    if (existsSync(join(root, v, "bin", "initdb"))) return join(root, v, "bin");
  return null;
}

/**
 * The bin dir, or null after a LOUD warning naming `what` cannot run; in CI (env CI set) a missing
 * PostgreSQL is an error instead, so a fault test never silently disappears.
 */
export function postgresBinDirOrWarn(what: string): string | null {
  const bin = postgresBinDir();
  if (bin) return bin;
  console.warn(
    `\n${"!".repeat(78)}\n!! PostgreSQL server binaries (initdb, pg_ctl) NOT found under /usr/lib/postgresql:\n` +
      `!! ${what} CANNOT run. Install postgresql to run it.\n${"!".repeat(78)}\n`,
  );
  if (process.env.CI) throw new Error(`${what} needs PostgreSQL binaries in CI`);
  return null;
}

/** Signals `pid`; one gone since /proc was read (a backend that just ended) is skipped. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as { code?: string }).code !== "ESRCH") throw error;
  }
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

function run(args: string[]): void {
  if (isRoot()) {
    execFileSync("su", ["postgres", "-c", args.map((a) => `'${a}'`).join(" ")], {
      stdio: "pipe",
      timeout: 60_000,
    });
  } else {
    execFileSync(args[0] as string, args.slice(1), { stdio: "pipe", timeout: 60_000 });
  }
}

/** Makes `dir` the server's when we are root (it runs as `postgres`). */
function ownedByServerUser(dir: string): void {
  if (!isRoot()) return;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"]).toString().trim());
  chownSync(dir, id("-u"), id("-g"));
}

/**
 * initdb's output for `bin`, made once per set of binaries and kept in the temp dir: each cluster
 * starts from a copy (`cp -a`, as the server's user). initdb costs about a second of CPU, several
 * seconds of a busy machine, per cluster; a copy of its 40 MB a fraction. Made under another name
 * and renamed when complete, so a copy never starts from a half-made one.
 */
function initdbTemplate(bin: string): string {
  const initdb = join(bin, "initdb");
  const key = `${bin.replaceAll(/[^A-Za-z0-9]+/g, "-")}-${Math.round(statSync(initdb).mtimeMs)}`;
  const template = join(tmpdir(), `pp-initdb-template${key}`);
  if (existsSync(template)) return template;
  const building = mkdtempSync(join(tmpdir(), "pp-initdb-building-"));
  try {
    ownedByServerUser(building);
    const data = join(building, "data");
    run([initdb, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync"]);
    try {
      renameSync(data, template);
    } catch (error) {
      if (!existsSync(template)) throw error; // else another run made it first
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return template;
}

export class ThrowawayPostgres {
  readonly dir: string;
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  private readonly dataDir: string;

  /** A copy of initdb's output + start (~1 s). */
  static create(bin: string): ThrowawayPostgres {
    const pg = new ThrowawayPostgres(bin);
    pg.init();
    pg.start();
    return pg;
  }

  private constructor(private readonly bin: string) {
    this.dir = mkdtempSync(join(tmpdir(), "pp-throwaway-pg-"));
    this.dataDir = join(this.dir, "data");
    this.port = 5433 + Math.floor(Math.random() * 20_000);
    this.url = `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private init(): void {
    ownedByServerUser(this.dir);
    run(["cp", "-a", initdbTemplate(this.bin), this.dataDir]);
  }

  private pgCtl(...args: string[]): void {
    run([join(this.bin, "pg_ctl"), "-D", this.dataDir, ...args]);
  }

  start(): void {
    this.pgCtl(
      "-o",
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "-l",
      join(this.dir, "log"),
      "-w",
      "start",
    );
  }

  /** Fast shutdown: open connections are cut, as in a crash of the database host. */
  stop(): void {
    this.pgCtl("-m", "fast", "-w", "stop");
  }

  /**
   * Freezes the server (SIGSTOP to the postmaster and every backend): connections stay open and
   * nothing answers, as when the database host hangs or the network drops packets. `thaw` resumes.
   */
  freeze(): void {
    for (const pid of this.serverPids()) signal(pid, "SIGSTOP");
  }

  thaw(): void {
    for (const pid of this.serverPids()) signal(pid, "SIGCONT");
  }

  /**
   * Terminates every client backend but its own, again and again for `ms` (a failover, an
   * operator's pg_terminate_backend, a pooler restarting); resolves to how many it ended.
   */
  async terminateBackendsFor(ms: number): Promise<number> {
    const admin = postgres(this.url, { max: 1, onnotice: () => {} });
    let ended = 0;
    try {
      for (const until = Date.now() + ms; Date.now() < until; ) {
        const [row] = await admin<{ n: number }[]>`select count(pg_terminate_backend(pid))::int as n
          from pg_stat_activity where pid <> pg_backend_pid() and backend_type = 'client backend'`;
        ended += row?.n ?? 0;
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 60));
      }
    } finally {
      await admin.end();
    }
    return ended;
  }

  /** The postmaster (first line of postmaster.pid) and its children, from /proc (Linux). */
  private serverPids(): number[] {
    const postmaster = Number(
      readFileSync(join(this.dataDir, "postmaster.pid"), "utf8").split("\n")[0],
    );
    const children = readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          // stat: "pid (comm) state ppid …"; comm may hold spaces, so read after its ")".
          const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
          return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === postmaster;
        } catch {
          return false; // gone meanwhile
        }
      })
      .map(Number);
    return [postmaster, ...children];
  }

  /** Stops (if running) and removes the cluster. */
  destroy(): void {
    try {
      this.thaw(); // a frozen server would not stop
      this.stop();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
