// A real S3-protocol server for tests (s3rver, on a free loopback port, data in a temp directory),
// and the environment that points the platform's artifact store at it. Test support (Node APIs).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error s3rver ships no type declarations
import S3rver from "s3rver";

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** ARTIFACT_STORE_URI and the AWS_* variables for `prefix` in the test bucket. */
  env(prefix: string): Record<string, string>;
  close(): Promise<void>;
}

export async function startS3TestServer(bucket = "pp-artifacts"): Promise<S3TestServer> {
  const directory = mkdtempSync(join(tmpdir(), "pp-s3rver-"));
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: (prefix) => ({
      ARTIFACT_STORE_URI: `s3://${bucket}/${prefix}`,
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: "us-east-1",
      // s3rver's fixed development credentials (it checks the signature with them).
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
    }),
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
