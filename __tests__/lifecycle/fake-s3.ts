/**
 * A fake S3-compatible object store on 127.0.0.1, as strict as OpenTofu's S3 backend needs it
 * to be for the runs that matter here: path-style `/<bucket>/<key>`, HEAD/GET/PUT/DELETE of
 * objects, ListObjectsV2, and the conditional write the state lock relies on
 * (`If-None-Match: *` answers 412 `PreconditionFailed` when the object exists, as S3 does since
 * 2024). What the backend calls was read in OpenTofu 1.12's
 * internal/backend/remote-state/s3/client.go (HeadObject then GetObject for the state, PutObject
 * with IfNoneMatch "*" for `<key>.tflock`, DeleteObject to unlock) and backend_state.go
 * (ListObjectsV2 for workspaces). Signatures are not checked; only the access key id is.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';

/** One stored object. */
export interface FakeObject {
  readonly body: Buffer;
  readonly etag: string;
  readonly modified: Date;
}

function xml(code: string, message: string, resource: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource}</Resource></Error>`;
}

const escapeXml = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

/** Decodes an `aws-chunked` body (`<hex size>;chunk-signature=...\r\n<data>\r\n ... 0;...\r\n`). */
function decodeAwsChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (let guard = 0; guard < 100_000 && at < raw.length; guard++) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** The fake store: one bucket, objects by key. */
export class FakeS3 {
  readonly objects = new Map<string, FakeObject>();
  /** Every request, `METHOD key status`, for tests that look at what the engine did. */
  readonly calls: string[] = [];
  private etags = 0;

  private constructor(
    private readonly server: Server,
    readonly bucket: string,
    readonly accessKeyId: string,
  ) {}

  /** Starts on a random port of 127.0.0.1. */
  static async start(bucket = 'trading-state', accessKeyId = 'fake-access-key'): Promise<FakeS3> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      // Requests arrive only after `listen`, when `fake` is set.
      req.on('end', () => fake.handle(req, res, Buffer.concat(chunks)));
    });
    const fake = new FakeS3(server, bucket, accessKeyId);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return fake;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** What the CLI and the engine need to use this store as the state backend (main.ts). */
  get env(): Record<string, string> {
    return {
      STATE_BACKEND: 's3',
      STATE_BUCKET: this.bucket,
      STATE_ENDPOINT: this.endpoint,
      AWS_ACCESS_KEY_ID: this.accessKeyId,
      AWS_SECRET_ACCESS_KEY: 'fake-secret-key',
    };
  }

  /** Keys of the lock objects that exist (`<state key>.tflock`). */
  locks(): string[] {
    return [...this.objects.keys()].filter((k) => k.endsWith('.tflock'));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const method = req.method ?? 'GET';
    const send = (status: number, body = '', headers: Record<string, string> = {}) => {
      this.calls.push(`${method} ${key || '/'} ${status}`);
      res.writeHead(status, { 'Content-Type': 'application/xml', ...headers });
      res.end(method === 'HEAD' ? undefined : body);
    };
    const auth = req.headers.authorization ?? '';
    if (!auth.includes(`Credential=${this.accessKeyId}/`)) {
      return send(403, xml('InvalidAccessKeyId', 'The access key does not exist', url.pathname));
    }
    if (bucket !== this.bucket) return send(404, xml('NoSuchBucket', 'No such bucket', `/${bucket}`));

    if (!key) {
      if (method === 'GET' && url.searchParams.get('list-type') === '2') {
        const prefix = url.searchParams.get('prefix') ?? '';
        const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
        const contents = keys
          .map((k) => {
            const o = this.objects.get(k)!;
            return `<Contents><Key>${escapeXml(k)}</Key><LastModified>${o.modified.toISOString()}</LastModified><ETag>&quot;${o.etag}&quot;</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
          })
          .join('');
        return send(
          200,
          `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>${this.bucket}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
        );
      }
      return send(405, xml('MethodNotAllowed', `${method} on the bucket is not served`, url.pathname));
    }

    const object = this.objects.get(key);
    switch (method) {
      case 'HEAD':
        if (!object) return send(404);
        return send(200, '', {
          ETag: `"${object.etag}"`,
          'Content-Length': String(object.body.length),
          'Last-Modified': object.modified.toUTCString(),
        });
      case 'GET':
        if (!object) return send(404, xml('NoSuchKey', 'The specified key does not exist.', key));
        this.calls.push(`GET ${key} 200`);
        res.writeHead(200, {
          'Content-Type': 'application/octet-stream',
          ETag: `"${object.etag}"`,
          'Content-Length': String(object.body.length),
          'Last-Modified': object.modified.toUTCString(),
        });
        res.end(object.body);
        return;
      case 'PUT': {
        if (req.headers['if-none-match'] === '*' && object) {
          return send(
            412,
            xml('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', key),
          );
        }
        const chunked =
          String(req.headers['content-encoding'] ?? '').includes('aws-chunked') ||
          String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
        const body = chunked ? decodeAwsChunked(raw) : raw;
        const etag = `etag-${++this.etags}`;
        this.objects.set(key, { body, etag, modified: new Date() });
        return send(200, '', { ETag: `"${etag}"` });
      }
      case 'DELETE':
        this.objects.delete(key);
        return send(204);
      default:
        return send(405, xml('MethodNotAllowed', `${method} is not served`, key));
    }
  }
}
