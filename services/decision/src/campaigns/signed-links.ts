// Signed links to the campaign pages, for people without an API key in their browser: the path and
// an expiry signed with HMAC-SHA-256 under CAMPAIGN_SECRET (`?exp=<unix s>&sig=<hex>`), valid until
// it expires. Which paths a link opens is the pages' rule (routes/campaign-pages.ts).

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class LinkSigner {
  private readonly key: Promise<CryptoKey>;

  constructor(secret: string) {
    this.key = crypto.subtle.importKey(
      "raw",
      encoder.encode(`campaign-pages\u0000${secret}`),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
  }

  private message(path: string, exp: number): Uint8Array<ArrayBuffer> {
    return encoder.encode(`${path}\n${exp}`);
  }

  /** `path?exp=…&sig=…`, valid until `exp` (unix seconds). */
  async sign(path: string, exp: number): Promise<string> {
    const sig = await crypto.subtle.sign("HMAC", await this.key, this.message(path, exp));
    return `${path}?exp=${exp}&sig=${hex(sig)}`;
  }

  /** Whether `sig` signs `path` until `exp` and `exp` is still ahead of `nowSeconds`. */
  async verify(path: string, exp: string, sig: string, nowSeconds: number): Promise<boolean> {
    const expiry = Number(exp);
    if (!/^\d{1,12}$/.test(exp) || !(expiry > nowSeconds)) return false;
    if (!/^[0-9a-f]{64}$/.test(sig)) return false;
    const bytes = new Uint8Array(32);
    for (let i = 0; i < 32; i++) bytes[i] = Number.parseInt(sig.slice(2 * i, 2 * i + 2), 16);
    // crypto.subtle.verify compares in constant time.
    return crypto.subtle.verify("HMAC", await this.key, bytes, this.message(path, expiry));
  }
}
