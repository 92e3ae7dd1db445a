// One CSV field as RFC 4180 writes it, for every CSV this package writes (scores, simulated logs).

/**
 * `text` as a CSV field: quoted (quotes doubled) when it holds a quote, a line break or the
 * delimiter, or starts or ends with white space (which some readers trim); else as it is.
 */
export function csvField(text: string, delimiter = ","): string {
  const plain = !/["\r\n]|^\s|\s$/.test(text) && !text.includes(delimiter);
  return plain ? text : `"${text.replaceAll('"', '""')}"`;
}
