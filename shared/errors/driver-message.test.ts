// What a failed database call says in answers anyone may read (/ready, 503s): the forecast
// service's /ready said "registry not available: Error: EEXIST: file already exists, mkdir
// '/srv/data'" and decision's "no decision policy available: connect ECONNREFUSED 127.0.0.1:5999":
// the data directory and the database's address, to any client. Now code and system call only.
import { expect, test } from "bun:test";
import { driverMessage, outwardDriverMessage } from "./driver-message.ts";

const refused = Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:5432"), {
  code: "ECONNREFUSED",
  syscall: "connect",
});

test("an error naming a host, a port or a file is said by its code (and system call)", () => {
  const wrapped = new Error("Failed query: select 1 params: c-42", { cause: refused });
  expect(outwardDriverMessage(wrapped)).toBe("ECONNREFUSED (connect)");
  const mkdir = Object.assign(new Error("EEXIST: file already exists, mkdir '/srv/data'"), {
    code: "EEXIST",
    syscall: "mkdir",
  });
  expect(outwardDriverMessage(mkdir)).toBe("EEXIST (mkdir)");
  const timeout = Object.assign(new Error("write CONNECT_TIMEOUT db.internal:5432"), {
    code: "CONNECT_TIMEOUT",
  });
  expect(outwardDriverMessage(timeout)).toBe("CONNECT_TIMEOUT");
  // The log keeps the whole message.
  expect(driverMessage(wrapped)).toBe("connect ECONNREFUSED 10.0.0.5:5432");
});

test("the server's own message (no address in it) is kept, drizzle's wrapper left out", () => {
  const server = Object.assign(new Error('relation "decision_log" does not exist'), {
    code: "42P01",
  });
  const wrapped = new Error("Failed query: select 1 params: c-42", { cause: server });
  expect(outwardDriverMessage(wrapped)).toBe('relation "decision_log" does not exist');
});
