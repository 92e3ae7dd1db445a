// Operator CLIs killed with SIGKILL mid-run (the kill -9 tests): spawn one and kill it at a
// moment, time a whole run to spread the kills over, and count what each kill left.
import { expect } from "bun:test";
import { exitCodeOf, startBun } from "@pp/shared/testing/processes.ts";

export type Ended = "killed" | number | null;

/** When each round's CLI is killed, and what is awaited after it (a killed backend's end). */
export interface KillPlan {
  moment(i: number): Promise<unknown>;
  settle(): Promise<void>;
  /** Hears that a round's CLI finished, `ms` after its moment began (its kill came too late). */
  finishedIn?(ms: number): void;
}

/**
 * Kills spread over a whole run of `ms`: round i at ms × (from + i × step); settled by `settle`.
 * A run timed while another test file loaded the machine took over twice as long as the rounds'
 * runs, and every kill came after the end ("kills 0"): a round that finishes first says how long
 * a run takes now, and the later moments are spread over that (the shorter).
 */
export function spreadOver(
  ms: number,
  from: number,
  step: number,
  settle: () => Promise<void> = () => Bun.sleep(50),
): KillPlan {
  let whole = ms;
  return {
    moment: (i) => Bun.sleep(whole * (from + i * step)),
    settle,
    finishedIn: (took) => {
      whole = Math.min(whole, took);
    },
  };
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

/** More rounds, up to `rounds` in all, while fewer than `kills` kills landed. */
export interface KillsWanted {
  kills: number;
  rounds: number;
}

/**
 * `rounds` rounds of `round` killed as `plan` says, each settled before what it left is read:
 * the counts of kills, runs that finished first (they must exit 0), and of each of `left`.
 * With `wanted`, rounds go on (the plan's moments again from the first) until that many kills
 * landed or its bound of rounds is reached.
 */
export async function killRounds(
  round: KillRound,
  rounds: number,
  plan: KillPlan,
  left: string[] = ["old", "new"],
  wanted?: KillsWanted,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = { kills: 0, finished: 0 };
  for (const k of left) counts[k] = 0;
  const bump = (k: string) => {
    counts[k] = (counts[k] ?? 0) + 1;
  };
  const more = (i: number) =>
    i < rounds || (wanted !== undefined && (counts.kills ?? 0) < wanted.kills && i < wanted.rounds);
  for (let i = 0; more(i); i++) {
    let began = performance.now();
    const ended = await round.run(i, () => {
      began = performance.now();
      return plan.moment(i % rounds);
    });
    if (ended === "killed") bump("kills");
    else {
      expect(ended).toBe(0);
      bump("finished");
      plan.finishedIn?.(performance.now() - began);
    }
    await plan.settle();
    bump(await round.left(i));
  }
  return counts;
}
