import { describe, expect, test } from "bun:test";
import { createLogger, deferredChild, type Logger, logsAt } from "./logger.ts";

function captured(level: "debug" | "info" | "warn" | "error" = "info") {
  const lines: string[] = [];
  const logger = createLogger({
    sink: (line) => lines.push(line),
    level,
    fields: { service: "test" },
    timestamp: () => "2026-01-01T00:00:00.000Z",
  });
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l)) };
}

describe("createLogger", () => {
  test("writes one JSON object per line with base and call fields", () => {
    const { logger, lines } = captured();
    logger.info("started", { port: 8001 });
    expect(lines).toEqual([
      '{"time":"2026-01-01T00:00:00.000Z","level":"info","msg":"started","service":"test","port":8001}',
    ]);
  });

  test("drops lines below the configured level", () => {
    const { logger, records } = captured("warn");
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    expect(records().map((r) => r.level)).toEqual(["warn", "error"]);
  });

  test("child loggers add fields without losing the parent's", () => {
    const { logger, records } = captured();
    logger.child({ request_id: "r1" }).info("x", { extra: true });
    expect(records()[0]).toMatchObject({ service: "test", request_id: "r1", extra: true });
  });

  test("logsAt: the logger's own level and those above it", () => {
    const { logger } = captured("warn");
    expect(["debug", "info", "warn", "error"].map((l) => logsAt(logger, l as never))).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });

  test("a deferred child makes its child on its first line, and writes as the child does", () => {
    const { logger, lines } = captured();
    let made = 0;
    const counting: Logger = {
      ...logger,
      child: (fields) => {
        made++;
        return logger.child(fields);
      },
    };
    const child = deferredChild(counting, { request_id: "r1" });
    expect(child.level).toBe("info");
    expect(made).toBe(0);
    child.info("x", { extra: true });
    child.warn("y");
    child.child({ step: 2 }).error("z");
    expect(made).toBe(1);
    const direct = captured();
    const eager = direct.logger.child({ request_id: "r1" });
    eager.info("x", { extra: true });
    eager.warn("y");
    eager.child({ step: 2 }).error("z");
    expect(lines).toEqual(direct.lines);
  });

  test("errors keep name, message and stack; bigints become strings", () => {
    const { logger, records } = captured();
    logger.error("failed", { error: new TypeError("bad"), rows: 10n });
    const record = records()[0];
    expect(record.error.name).toBe("TypeError");
    expect(record.error.message).toBe("bad");
    expect(record.error.stack).toContain("TypeError: bad");
    expect(record.rows).toBe("10");
  });

  test("a circular field still yields one parseable line", () => {
    const { logger, records } = captured();
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    logger.info("loop", { loop });
    expect(records()[0]).toMatchObject({ msg: "loop", level: "info" });
  });
});
