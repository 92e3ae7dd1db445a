// Operator CLIs killed with SIGKILL mid-run (the kill -9 tests): spawn one and kill it at a
// moment, time a whole run to spread the kills over, and count what each kill left.
import { expect } from "bun:test";
import { exitCodeOf, startBun } from "@pp/shared/testing/processes.ts";

export type Ended = "killed" | number | null;

/** When each round's CLI is killed, and what is awaited after it (a killed backend's end). */
export interface KillPlan {
  moment(i: number): Promise<unknown>;
  settle(): Promise<void>;
}

/** Kills spread over a whole run of `ms`: round i at ms × (from + i × step); settled by `settle`. */
export function spreadOver(
  ms: number,
  from: number,
  step: number,
  settle: () => Promise<void> = () => Bun.sleep(50),
): KillPlan {
  return { moment: (i) => Bun.sleep(ms * (from + i * step)), settle };
}

/** `script ARGS` (logged as `name`), killed with SIGKILL once `killWhen` resolves (if still running). */
export async function killedCli(
  name: string,
  script: string,
  env: Record<string, string>,
  args: string[],
  killWhen: Promise<unknown>,
): Promise<Ended> {
  const cli = startBun(name, script, env, { args });
  const exit = exitCodeOf(cli);
  await Promise.race([killWhen, exit]);
  if (cli.exited()) return exit;
  cli.child.kill("SIGKILL");
  await exit;
  return "killed";
}

/**
 * How long a whole run takes here now (the kills are spread over it): the shortest of `runs`
 * (a first one may wait for connections to warm up); `prepare` is not timed.
 */
export async function shortestRunMs<T>(
  runs: number,
  prepare: (i: number) => Promise<T>,
  run: (prepared: T) => Promise<unknown>,
): Promise<number> {
  const took: number[] = [];
  for (let i = 0; i < runs; i++) {
    const prepared = await prepare(i);
    const began = performance.now();
    await run(prepared);
    took.push(performance.now() - began);
  }
  return Math.min(...took);
}

/** One kill round of a test: its CLI started (killed at the plan's moment), then what it left. */
export interface KillRound {
  /** Sets round i up and starts its CLI, killed once `at()` (called as it starts) resolves. */
  run(i: number, at: () => Promise<unknown>): Promise<Ended>;
  /** What the kill left ("old", "new", …), checked; and the command run again, checked. */
  left(i: number): Promise<string>;
}

/**
 * `rounds` rounds of `round` killed as `plan` says, each settled before what it left is read:
 * the counts of kills, runs that finished first (they must exit 0), and of each of `left`.
 */
export async function killRounds(
  round: KillRound,
  rounds: number,
  plan: KillPlan,
  left: string[] = ["old", "new"],
): Promise<Record<string, number>> {
  const counts: Record<string, number> = { kills: 0, finished: 0 };
  for (const k of left) counts[k] = 0;
  const bump = (k: string) => {
    counts[k] = (counts[k] ?? 0) + 1;
  };
  for (let i = 0; i < rounds; i++) {
    const ended = await round.run(i, () => plan.moment(i));
    if (ended === "killed") bump("kills");
    else {
      expect(ended).toBe(0);
      bump("finished");
    }
    await plan.settle();
    bump(await round.left(i));
  }
  return counts;
}
