// An artifact store in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, ...), addressed by
// `s3://bucket/prefix/key` URIs. Web-standard fetch signed with SigV4 (aws4fetch): no Node APIs, so
// the same class runs on Bun, Node, Deno and Workers. A PUT becomes visible whole or not at all.
import { AwsClient } from "aws4fetch";
import {
  ArtifactNotFoundError,
  type ArtifactObject,
  type ArtifactStore,
  assertValidArtifactKey,
  outsideStoreError,
  type StoredArtifact,
} from "./artifact-store.ts";
import { sha256Hex } from "./sha256.ts";

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing `/` ("" for the bucket root). */
  prefix: string;
  /** e.g. `http://127.0.0.1:9000` (MinIO), `https://<account>.r2.cloudflarestorage.com`. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** `endpoint/bucket/key` (MinIO, s3rver, R2) rather than `bucket.endpoint/key`. */
  pathStyle: boolean;
  /** Retries of a failed request (network error or 5xx), with backoff. Default 3. */
  retries?: number;
}

export class S3RequestError extends Error {
  override readonly name = "S3RequestError";
  constructor(
    readonly status: number,
    what: string,
    detail: string,
  ) {
    super(`S3 ${what} failed: HTTP ${status} ${detail.slice(0, 300)}`);
  }
}

const XML_ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&apos;": "'",
};
const unescapeXml = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|apos);/g, (e) => XML_ENTITIES[e] ?? e);

/** The text of every `<tag>` element inside `xml` (S3's list answers are flat enough for this). */
function elements(xml: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g");
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(unescapeXml(m[1] ?? ""));
  return out;
}

export class S3ArtifactStore implements ArtifactStore {
  readonly baseUri: string;
  private readonly client: AwsClient;
  private readonly root: string;

  constructor(private readonly options: S3StoreOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
      throw new Error(`S3 bucket name "${options.bucket}" is not valid`);
    }
    if (options.prefix) assertValidArtifactKey(options.prefix);
    this.baseUri = `s3://${options.bucket}${options.prefix ? `/${options.prefix}` : ""}`;
    this.client = new AwsClient({
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
      region: options.region,
      service: "s3",
      retries: options.retries ?? 3,
    });
    const endpoint = new URL(options.endpoint);
    const base = endpoint.origin + endpoint.pathname.replace(/\/+$/, "");
    this.root = options.pathStyle
      ? `${base}/${options.bucket}`
      : `${endpoint.protocol}//${options.bucket}.${endpoint.host}${endpoint.pathname.replace(/\/+$/, "")}`;
  }

  private objectKey(key: string): string {
    assertValidArtifactKey(key);
    return this.options.prefix ? `${this.options.prefix}/${key}` : key;
  }

  private objectUrl(key: string): string {
    return `${this.root}/${this.objectKey(key).split("/").map(encodeURIComponent).join("/")}`;
  }

  uriFor(key: string): string {
    assertValidArtifactKey(key);
    return `${this.baseUri}/${key}`;
  }

  keyFor(uri: string): string {
    const prefix = `${this.baseUri}/`;
    if (!uri.startsWith(prefix)) throw outsideStoreError(uri, this.baseUri);
    const key = uri.slice(prefix.length);
    assertValidArtifactKey(key);
    return key;
  }

  private async request(what: string, url: string, init: RequestInit = {}): Promise<Response> {
    const res = await this.client.fetch(url, init);
    if (res.ok || res.status === 404) return res;
    throw new S3RequestError(res.status, `${what} ${url}`, await res.text().catch(() => ""));
  }

  async put(key: string, bytes: Uint8Array): Promise<StoredArtifact> {
    const res = await this.request("PUT", this.objectUrl(key), {
      method: "PUT",
      body: bytes as BodyInit,
      headers: { "content-type": "application/octet-stream" },
    });
    if (res.status === 404)
      throw new S3RequestError(404, `PUT ${this.objectUrl(key)}`, "no such bucket");
    await res.arrayBuffer();
    return { key, uri: this.uriFor(key), sha256: await sha256Hex(bytes), bytes: bytes.byteLength };
  }

  async get(key: string): Promise<Uint8Array> {
    const res = await this.request("GET", this.objectUrl(key));
    if (res.status === 404) {
      await res.arrayBuffer();
      throw new ArtifactNotFoundError(this.uriFor(key));
    }
    return new Uint8Array(await res.arrayBuffer());
  }

  async exists(key: string): Promise<boolean> {
    const res = await this.request("HEAD", this.objectUrl(key), { method: "HEAD" });
    await res.arrayBuffer();
    return res.ok;
  }

  async delete(key: string): Promise<void> {
    const res = await this.request("DELETE", this.objectUrl(key), { method: "DELETE" });
    await res.arrayBuffer();
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.listObjects(prefix)).map((o) => o.key);
  }

  /** A PUT is one request: S3 stores the whole object or nothing, so nothing is left over. */
  async listUnfinishedWrites(): Promise<ArtifactObject[]> {
    return [];
  }

  /**
   * ListObjects page by page (1,000 keys each), bounded to 1,000 pages. Version 1 with `marker`:
   * every S3-compatible store (S3, MinIO, R2) answers it, and the keys come sorted.
   */
  async listObjects(prefix: string): Promise<ArtifactObject[]> {
    const storePrefix = this.options.prefix ? `${this.options.prefix}/` : "";
    const out: ArtifactObject[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const url = new URL(this.root);
      url.searchParams.set("prefix", storePrefix + prefix);
      if (marker) url.searchParams.set("marker", marker);
      const res = await this.request("LIST", url.href);
      const xml = await res.text();
      if (res.status === 404) throw new S3RequestError(404, `LIST ${url.href}`, xml);
      for (const item of elements(xml, "Contents")) {
        marker = elements(item, "Key")[0] ?? "";
        out.push({
          key: marker.slice(storePrefix.length),
          modified: new Date(elements(item, "LastModified")[0] ?? 0),
          bytes: Number(elements(item, "Size")[0] ?? 0),
        });
      }
      if (elements(xml, "IsTruncated")[0] !== "true" || !marker) break;
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
