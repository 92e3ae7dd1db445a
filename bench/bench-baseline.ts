// The commit `bun run bench --baseline` compares against when no ref is given: ea36ea8 is the code
// of 2026-11-30 before issue #19's restructure ("within 5% of today's or better").
export const BENCH_BASELINE = "ea36ea8";
