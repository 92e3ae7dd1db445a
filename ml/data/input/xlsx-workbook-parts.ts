// The workbook parts read before any sheet: xl/workbook.xml and its relationships (the sheets, in
// order, and where each one's XML is; the date system), xl/sharedStrings.xml (a text cell holds an
// index into it) and xl/styles.xml (a number cell is a date when its style's number format is one).

import { attribute, isDateFormat, richText, xmlDecode } from "./xlsx-sheet-rows.ts";

export interface WorkbookSheets {
  /** The sheets in workbook order, each with the path of its XML in the archive ("" if none). */
  sheets: { name: string; part: string }[];
  date1904: boolean;
}

/** The sheets of xl/workbook.xml in order, where each one's XML is, and the date system. */
export function parseWorkbook(workbookXml: string, relsXml: string): WorkbookSheets {
  const targets = new Map<string, string>();
  for (const [tag] of relsXml.matchAll(/<(?:\w+:)?Relationship\s[^>]*>/g)) {
    // Relative to xl/ as most writers give it, or absolute ("/xl/worksheets/sheet1.xml").
    const target = attribute(tag, "Target") ?? "";
    targets.set(
      attribute(tag, "Id") ?? "",
      target.startsWith("/") ? target.slice(1) : `xl/${target}`,
    );
  }
  const sheets = [...workbookXml.matchAll(/<(?:\w+:)?sheet\s[^>]*>/g)].map(([tag], i) => ({
    name: xmlDecode(attribute(tag, "name") ?? `sheet ${i + 1}`),
    part: targets.get(attribute(tag, "r:id") ?? "") ?? "",
  }));
  const pr = /<(?:\w+:)?workbookPr\s[^>]*>/.exec(workbookXml)?.[0] ?? "";
  return { sheets, date1904: ["1", "true"].includes(attribute(pr, "date1904") ?? "") };
}

const STRING_ITEM = /<(?:\w+:)?si\b[^>]*?(?:\/>|>([\s\S]*?)<\/(?:\w+:)?si>)/g;

/** The shared strings in order: each item's text runs joined (rich text), phonetic guides left out. */
export function parseSharedStrings(xml: string): string[] {
  return [...xml.matchAll(STRING_ITEM)].map((item) => richText(item[1] ?? ""));
}

/** The number formats Excel builds in that exceljs knows as dates or times (ECMA-376 18.8.30). */
const BUILT_IN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47]);

/** Whether each cell style (the index a cell's `s` names) formats numbers as a date or time. */
export function parseDateStyles(xml: string): boolean[] {
  const custom = new Map<number, string>();
  for (const [tag] of xml.matchAll(/<(?:\w+:)?numFmt\s[^>]*>/g)) {
    custom.set(Number(attribute(tag, "numFmtId")), xmlDecode(attribute(tag, "formatCode") ?? ""));
  }
  const cellXfs = /<(?:\w+:)?cellXfs\b[\s\S]*?<\/(?:\w+:)?cellXfs>/.exec(xml)?.[0] ?? "";
  return [...cellXfs.matchAll(/<(?:\w+:)?xf\b[^>]*>/g)].map(([tag]) => {
    const id = Number(attribute(tag, "numFmtId") ?? 0);
    if (id === 0) return false;
    const format = custom.get(id);
    return format !== undefined ? isDateFormat(format) : BUILT_IN_DATE_FORMATS.has(id);
  });
}
