import { expect, test } from "bun:test";
import { LineByLineDecoder } from "./line-encodings.ts";

const cp1252 = (text: string) => Buffer.from([...text].map((c) => c.charCodeAt(0)));

test("UTF-8 lines stay, other lines are read as Windows-1252, whatever the pieces' bounds", () => {
  const file = Buffer.concat([
    Buffer.from("id,name\n1,José\n"),
    cp1252("2,Jos\u00e9 \u00a0\n"), // é and a no-break space in Windows-1252: not UTF-8
    Buffer.from("3,plain\n4,Zoë"),
  ]);
  for (const size of [1, 2, 3, 7, 64]) {
    const decoder = new LineByLineDecoder();
    const out: Buffer[] = [];
    for (let i = 0; i < file.length; i += size)
      out.push(decoder.decode(file.subarray(i, i + size)));
    out.push(decoder.end());
    expect(Buffer.concat(out).toString("utf8")).toBe(
      "id,name\n1,José\n2,José \u00a0\n3,plain\n4,Zoë",
    );
    expect(decoder.seen).toEqual({ windows1252: 1, utf8: 2, examples: [3] });
  }
});
