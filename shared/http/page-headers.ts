// Headers of the HTML pages (/docs, the campaign pages): inline styles and data: images only, no
// script or remote resource, never framed by another site, no MIME sniffing, and no referrer, so
// a signed link's URL never leaves with a click.
export const HTML_PAGE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};
