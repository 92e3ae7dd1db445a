// Test support: hostile ways to send an API key (spaces, 512 and 513 characters, two headers
// joined, Basic beside X-API-Key, raw bytes no fetch client sends), each with the answer every
// keyed service owes it, and the answer a service gave, classified the same way.
import { connect } from "node:net";

/** accepted; a readable key no service knows; none sent; a 401 naming the header it could not read. */
export type KeyAnswer = "accepted" | "unknown" | "none" | "X-API-Key" | "Authorization";

export interface KeyHeaderCase {
  name: string;
  headers: Record<string, string>;
  answer: KeyAnswer;
}

/** The cases for a service that knows `key` and `key512` (512 characters). */
export function keyHeaderCases(key: string, key512: string): KeyHeaderCase[] {
  const inner = `${key.slice(0, 5)} ${key.slice(5)}`;
  return [
    { name: "X-API-Key", headers: { "x-api-key": key }, answer: "accepted" },
    {
      name: "X-API-Key, spaces around",
      headers: { "x-api-key": `  ${key}  ` },
      answer: "accepted",
    },
    {
      name: "X-API-Key, NBSP around",
      headers: { "x-api-key": `\u00a0${key}\u00a0` },
      answer: "accepted",
    },
    { name: "X-API-Key, a space inside", headers: { "x-api-key": inner }, answer: "X-API-Key" },
    {
      name: "X-API-Key, a tab inside",
      headers: { "x-api-key": inner.replace(" ", "\t") },
      answer: "X-API-Key",
    },
    { name: "X-API-Key, 512 characters", headers: { "x-api-key": key512 }, answer: "accepted" },
    {
      name: "X-API-Key, 513: a key and 1 more",
      headers: { "x-api-key": `${key512}x` },
      answer: "X-API-Key",
    },
    {
      name: "X-API-Key, 600 characters",
      headers: { "x-api-key": "z".repeat(600) },
      answer: "X-API-Key",
    },
    {
      name: "X-API-Key, two joined",
      headers: { "x-api-key": `${key}, ${key}` },
      answer: "X-API-Key",
    },
    { name: "X-API-Key, unknown", headers: { "x-api-key": `${key}-not` }, answer: "unknown" },
    {
      name: "X-API-Key, a Latin-1 letter",
      headers: { "x-api-key": `${key}\u00e9` },
      answer: "unknown",
    },
    { name: "X-API-Key, empty", headers: { "x-api-key": "" }, answer: "none" },
    {
      name: "Bearer, 512 characters",
      headers: { authorization: `Bearer ${key512}` },
      answer: "accepted",
    },
    {
      name: "Bearer, 513 characters",
      headers: { authorization: `Bearer ${key512}x` },
      answer: "Authorization",
    },
    { name: "Bearer, no key", headers: { authorization: "Bearer" }, answer: "Authorization" },
    {
      name: "Bearer, two keys",
      headers: { authorization: `Bearer ${key} ${key}` },
      answer: "Authorization",
    },
    {
      name: "Basic alone",
      headers: { authorization: "Basic dXNlcjpwYXNz" },
      answer: "Authorization",
    },
    {
      name: "Basic + X-API-Key",
      headers: { authorization: "Basic dXNlcjpwYXNz", "x-api-key": key },
      answer: "accepted",
    },
    {
      name: "Bearer + wrong X-API-Key",
      headers: { authorization: `Bearer ${key}`, "x-api-key": "wrong" },
      answer: "accepted",
    },
    {
      name: "wrong Bearer + X-API-Key",
      headers: { authorization: "Bearer wrong", "x-api-key": key },
      answer: "unknown",
    },
    { name: "Authorization, empty", headers: { authorization: "" }, answer: "none" },
  ];
}

export interface RawKeyCase {
  name: string;
  /** The header line's bytes, without CRLF. */
  line: Buffer;
  /** `Bun 400`: Bun's parser refuses the request before any app code runs (no JSON body). */
  answer: KeyAnswer | "Bun 400";
}

/** Bytes no fetch client will send (new Request refuses NUL and lone surrogates): over TCP. */
export function rawKeyCases(key: string): RawKeyCase[] {
  const line = (name: string, ...parts: Array<string | number[]>) =>
    Buffer.concat([
      Buffer.from(`${name}: `),
      ...parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))),
    ]);
  const loneSurrogate = [0xed, 0xa0, 0x80]; // U+D800 as UTF-8 would write it (invalid UTF-8)
  return [
    { name: "X-API-Key, NUL inside", line: line("X-API-Key", key, [0], "x"), answer: "Bun 400" },
    { name: "X-API-Key, a control byte", line: line("X-API-Key", key, [1]), answer: "Bun 400" },
    // Bun reads header bytes as Latin-1: 0xA0 is a no-break space, so the key holds a space.
    {
      name: "X-API-Key, lone surrogate bytes",
      line: line("X-API-Key", key, loneSurrogate),
      answer: "X-API-Key",
    },
    {
      name: "Bearer, lone surrogate bytes",
      line: line("Authorization", "Bearer ", key, loneSurrogate),
      answer: "Authorization",
    },
    { name: "X-API-Key, byte 0xFF", line: line("X-API-Key", key, [0xff]), answer: "unknown" },
    {
      name: "X-API-Key, tab and spaces around",
      line: line("X-API-Key", `\t ${key} \t`),
      answer: "accepted",
    },
  ];
}

export interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/** One request written to the socket as is (one header line added); read until the close. */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  header: Buffer,
  body = "{}",
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error(`no answer to ${method} ${path}`)));
    socket.on("connect", () => {
      const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n`;
      socket.write(Buffer.concat([Buffer.from(head), header, Buffer.from(`\r\n\r\n${body}`)]));
    });
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const at = text.indexOf("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, headers: text.slice(0, at), body: text.slice(at + 4) });
    });
  });
}

/**
 * What an answer says of the key: `accepted` for the status a known key gets on the route, else
 * the 401 JSON classified by its message (the header named, "required", or any other refusal:
 * unknown); anything else (a 500, a 401 without the challenge) is returned as status and body.
 */
export function keyAnswerOf(
  answer: { status: number; wwwAuthenticate: string | null; body: string },
  acceptedStatus: number,
): KeyAnswer | string {
  if (answer.status === acceptedStatus) return "accepted";
  const message = parsedMessage(answer.body);
  if (answer.status !== 401 || message === null || !answer.wwwAuthenticate?.startsWith("Bearer")) {
    return `${answer.status} ${answer.body.slice(0, 160)}`;
  }
  if (message.startsWith("X-API-Key header")) return "X-API-Key";
  if (message.startsWith("Authorization header")) return "Authorization";
  return message.startsWith("API key required") ? "none" : "unknown";
}

function parsedMessage(body: string): string | null {
  try {
    const error = (JSON.parse(body) as { error?: { code?: string; message?: string } }).error;
    return error?.code === "unauthorized" && typeof error.message === "string"
      ? error.message
      : null;
  } catch {
    return null;
  }
}

/** keyAnswerOf for a raw answer; Bun's own bare 400 (no body) is `Bun 400`. */
export function rawKeyAnswerOf(answer: RawAnswer, acceptedStatus: number): KeyAnswer | string {
  if (answer.status === 400 && answer.body === "") return "Bun 400";
  const wwwAuthenticate = /^www-authenticate: (.*)$/im.exec(answer.headers)?.[1] ?? null;
  return keyAnswerOf({ ...answer, wwwAuthenticate }, acceptedStatus);
}

/** The keyed route a service's cases are posted to, and what a known key gets there. */
export interface KeyedRoute {
  path: string;
  /** The JSON body posted with every case. */
  body: string;
  /** The status a known key gets (the route past the key, e.g. 400 for a body it refuses). */
  acceptedStatus: number;
}

/** What a service answered the cases, as `name: answer` lines, beside the lines it owes. */
export interface CaseAnswers {
  seen: string[];
  owed: string[];
}

/**
 * Posts every header case (keyHeaderCases) to the app in-process. `echoed`: the cases whose
 * answer held `key` (a 401 must never echo the key it refused).
 */
export async function headerCaseAnswers(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  route: KeyedRoute,
  key: string,
  key512: string,
): Promise<CaseAnswers & { echoed: string[] }> {
  const cases = keyHeaderCases(key, key512);
  const seen: string[] = [];
  const echoed: string[] = [];
  for (const { name, headers } of cases) {
    const res = await app.request(route.path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: route.body,
    });
    const body = await res.text();
    const wwwAuthenticate = res.headers.get("www-authenticate");
    const answer = keyAnswerOf({ status: res.status, wwwAuthenticate, body }, route.acceptedStatus);
    seen.push(`${name}: ${answer}`);
    if (body.includes(key)) echoed.push(name);
  }
  return { seen, owed: cases.map((c) => `${c.name}: ${c.answer}`), echoed };
}

/** Sends every raw case (rawKeyCases) over TCP to the app served on `port`. */
export async function rawCaseAnswers(
  port: number,
  route: KeyedRoute,
  key: string,
): Promise<CaseAnswers> {
  const cases = rawKeyCases(key);
  const seen: string[] = [];
  for (const { name, line } of cases) {
    const answer = await rawRequest(port, "POST", route.path, line, route.body);
    seen.push(`${name}: ${rawKeyAnswerOf(answer, route.acceptedStatus)}`);
  }
  return { seen, owed: cases.map((c) => `${c.name}: ${c.answer}`) };
}
