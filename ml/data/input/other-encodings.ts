// Text encodings besides UTF-8, UTF-16 and Windows-1252 that shops' exports come in: Chinese Big5
// (Ta Feng's Taiwan) and GBK, Japanese Shift_JIS and EUC-JP, Korean EUC-KR, the Central European
// and Cyrillic Windows code pages. Read with --encoding through a UTF-8 copy; and named when a file
// read as Windows-1252 lacks the columns asked for because its header is written in one of them.

import { DELIMITERS, findHeaderLine, lineFields } from "./csv-head.ts";
import { OTHER_ENCODINGS, type OtherEncoding } from "./log-input.ts";

export function isOtherEncoding(encoding: string | undefined): encoding is OtherEncoding {
  return (OTHER_ENCODINGS as readonly string[]).includes(encoding ?? "");
}

/** Multi-byte encodings: their bytes are seldom all valid by chance, so a valid header says much. */
const EAST_ASIAN: OtherEncoding[] = ["big5", "gbk", "shift_jis", "euc-kr"];
const SHOWN_COLUMNS = 6;

/** The first line's bytes (a UTF-8 byte-order mark left out). */
function firstLine(head: Uint8Array): Uint8Array {
  const from = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const end = head.indexOf(0x0a, from);
  return head.subarray(from, end < 0 ? head.length : end);
}

/**
 * Whether the line's bytes past ASCII come as East Asian text's do: mostly next to another (two
 * bytes a character, characters in runs). A Latin header's accents are one or two together
 * (Straße, Größe), which Big5 and GBK also decode, to nonsense.
 */
function pairedHighBytes(line: Uint8Array): boolean {
  let high = 0;
  let paired = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i]! < 0x80) continue;
    high++;
    if ((line[i - 1] ?? 0) >= 0x80 || (line[i + 1] ?? 0) >= 0x80) paired++;
  }
  return high >= 4 && paired >= 0.75 * high;
}

/** The header decoded as `encoding`, split by the delimiter giving most fields; null if invalid. */
function headerAs(line: Uint8Array, encoding: OtherEncoding): string[] | null {
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true }).decode(line).replace(/\r$/, "");
  } catch {
    return null;
  }
  // Latin letters only: nothing here says the encoding is this one rather than Windows-1252.
  if (![...text].some((c) => c.charCodeAt(0) > 0xff)) return null;
  const splits = DELIMITERS.map((d) => lineFields(text, d));
  return splits.reduce((a, b) => (b.length > a.length ? b : a));
}

/**
 * What to pass when the columns asked for are not in a file read as Windows-1252: the encoding
 * whose header holds them all, else the East Asian encodings that decode the header to
 * non-Latin text, each with the columns it reads; null when none does.
 */
export function otherEncodingHint(head: Uint8Array, names: string[]): string | null {
  const holding = OTHER_ENCODINGS.find((e) => findHeaderLine(head, e, names) !== null);
  if (holding) {
    return `the file is not UTF-8 and its header names those columns when read as ${holding}: pass --encoding ${holding}`;
  }
  const line = firstLine(head);
  if (!pairedHighBytes(line)) return null;
  const readings = EAST_ASIAN.flatMap((e) => {
    const columns = headerAs(line, e);
    return columns ? [{ e, columns }] : [];
  });
  if (readings.length === 0) return null;
  const shown = readings.map(
    ({ e, columns }) =>
      `--encoding ${e} (columns: ${columns.slice(0, SHOWN_COLUMNS).join(", ")}${columns.length > SHOWN_COLUMNS ? ", …" : ""})`,
  );
  return `the file is not UTF-8, and its header's bytes are paired as Chinese, Japanese or Korean text's are: if it is such text, pass ${shown.join(" or ")}, the one whose columns read right, with the column options naming them`;
}
