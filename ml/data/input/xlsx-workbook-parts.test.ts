// The parts read before any sheet, as Excel, LibreOffice and .NET's Open XML SDK write them.
import { expect, test } from "bun:test";
import { parseDateStyles, parseSharedStrings, parseWorkbook } from "./xlsx-workbook-parts.ts";

test("sheets in workbook order with their parts (relative or absolute targets), names decoded, the 1904 date system", () => {
  const workbook = `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<workbookPr date1904="1"/><sheets>
<sheet name="Year 2010-2011" sheetId="2" r:id="rId2"/>
<sheet name="Q&amp;A &quot;notes&quot;" sheetId="1" state="hidden" r:id="rId1"/>
<sheet name="Chart" sheetId="3" r:id="rId9"/></sheets></workbook>`;
  const rels = `<Relationships><Relationship Id="rId1" Type="…/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="…/worksheet" Target="/xl/worksheets/sheet2.xml"/></Relationships>`;
  expect(parseWorkbook(workbook, rels)).toEqual({
    sheets: [
      { name: "Year 2010-2011", part: "xl/worksheets/sheet2.xml" },
      { name: 'Q&A "notes"', part: "xl/worksheets/sheet1.xml" },
      { name: "Chart", part: "" },
    ],
    date1904: true,
  });
  expect(parseWorkbook("<workbook><workbookPr/></workbook>", "").date1904).toBe(false);
});

test("shared strings: plain, rich text runs joined, phonetic guides left out, entities decoded, empty items kept", () => {
  const xml = `<sst count="5" uniqueCount="5">
<si><t>Customer ID</t></si>
<si><r><rPr><b/></rPr><t>O&apos;Brien </t></r><r><t xml:space="preserve">&amp; Co</t></r></si>
<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>
<si/>
<x:si><x:t>&#x1F600;</x:t></x:si></sst>`;
  expect(parseSharedStrings(xml)).toEqual(["Customer ID", "O'Brien & Co", "東京", "", "😀"]);
  expect(parseSharedStrings("")).toEqual([]);
});

test("date styles: built-in date formats, custom ones by their code, General and numbers not", () => {
  const xml = `<styleSheet><numFmts count="2">
<numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>
<numFmt numFmtId="165" formatCode="#,##0.00 &quot;EUR&quot;"/></numFmts>
<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>
<cellXfs count="6"><xf numFmtId="0" fontId="0"/><xf numFmtId="14" applyNumberFormat="1"/>
<xf numFmtId="164"><alignment horizontal="left"/></xf><xf numFmtId="165"/><xf numFmtId="4"/><xf numFmtId="22"/></cellXfs></styleSheet>`;
  expect(parseDateStyles(xml)).toEqual([false, true, true, false, false, true]);
  expect(parseDateStyles("")).toEqual([]);
});
