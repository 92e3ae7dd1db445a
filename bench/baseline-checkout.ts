// A read-only copy of an earlier commit's code, runnable beside the current one, so a bench can
// measure "before" and "after" in one run: `git archive REF` into a temp directory, with a
// node_modules of links to the installed packages except the workspace packages (@pp/*), which
// point at the copy's own folders, and a `shared` link beside the copy to the repository's sibling
// ../shared (where the CDNOW data lives). Nothing in the repository or its .git is changed.
// A REF whose package-lock.json differs gets its own packages (npm ci in the copy): linked to
// today's, ea36ea8's code imported a package dropped since, and every baseline run failed.
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const WORKSPACES: Record<string, string> = {
  shared: "shared",
  ml: "ml",
  forecast: "services/forecast",
  decision: "services/decision",
};

export interface BaselineCheckout {
  dir: string;
  /** The commit checked out (full hash). */
  commit: string;
  remove(): void;
}

/**
 * The environment for a process running inside a checkout: the copy has no .git, so a bench
 * script there that makes a baseline of its own (bench/decision.ts) finds the repository via
 * GIT_DIR.
 */
export function checkoutEnv(root: string): Record<string, string> {
  const gitDir = execFileSync("git", ["rev-parse", "--absolute-git-dir"], {
    cwd: root,
    encoding: "utf8",
  }).trim();
  return { GIT_DIR: gitDir };
}

/** True when `commit`'s package-lock.json is not the one installed at `root` (or it has none). */
export function ownInstallNeeded(root: string, commit: string): boolean {
  const ours = readFileSync(join(root, "package-lock.json"), "utf8");
  try {
    const theirs = execFileSync("git", ["show", `${commit}:package-lock.json`], {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      stdio: ["ignore", "pipe", "ignore"],
    });
    return theirs !== ours;
  } catch {
    return true;
  }
}

/** node_modules of links to `root`'s installed packages, the workspaces to the copy's folders. */
function linkModules(root: string, dir: string): void {
  const modules = join(dir, "node_modules");
  mkdirSync(join(modules, "@pp"), { recursive: true });
  for (const entry of readdirSync(join(root, "node_modules"))) {
    if (entry === "@pp") continue;
    symlinkSync(join(root, "node_modules", entry), join(modules, entry));
  }
  for (const [name, folder] of Object.entries(WORKSPACES)) {
    symlinkSync(join(dir, folder), join(modules, "@pp", name));
  }
}

/**
 * The copy's own packages from its lockfile (npm's output to stderr: benches print JSON on
 * stdout).
 */
function installOwnModules(dir: string, commit: string): void {
  console.error(
    `baseline ${commit.slice(0, 8)}: its package-lock.json differs, running npm ci in ${dir}`,
  );
  execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: dir,
    stdio: ["ignore", 2, 2],
  });
}

/** Copies `ref`'s tracked files (those under `paths`; all when empty) out of the repository at `root`. */
export function baselineCheckout(root: string, ref: string, paths: string[]): BaselineCheckout {
  const commit = execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], {
    cwd: root,
    encoding: "utf8",
  }).trim();
  const install = ownInstallNeeded(root, commit);
  // npm ci needs the lockfile and every workspace's package.json, whatever `paths` asks for.
  const manifests = ["package.json", "package-lock.json"].concat(
    Object.values(WORKSPACES).map((folder) => `${folder}/package.json`),
  );
  const archived = install && paths.length > 0 ? [...paths, ...manifests] : paths;
  // The copy is `repo` inside a temp folder so that its `../shared` can be linked too.
  const outer = mkdtempSync(join(tmpdir(), "pp-baseline-"));
  const dir = join(outer, "repo");
  try {
    mkdirSync(dir);
    const shared = resolve(root, "..", "shared");
    if (existsSync(shared)) symlinkSync(shared, join(outer, "shared"));
    const archive = execFileSync("git", ["archive", "--format=tar", commit, ...archived], {
      cwd: root,
      maxBuffer: 512 * 1024 * 1024,
    });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
    if (install) installOwnModules(dir, commit);
    else linkModules(root, dir);
  } catch (err) {
    rmSync(outer, { recursive: true, force: true });
    throw err;
  }
  return { dir, commit, remove: () => rmSync(outer, { recursive: true, force: true }) };
}
