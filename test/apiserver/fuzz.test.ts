// Seeded, bounded fuzzing of every write endpoint of the embedded API server: malformed JSON,
// YAML and protobuf, wrong content types, huge, deeply nested and alias-bomb bodies. Every answer
// must be a well-formed Status (or a successful object) and the server must stay up.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom, randomInt, type Random } from '../../main/base/random';
import { RESOURCES } from '../../main/kube/resources';
import { startTestCluster, type TestCluster } from '../support/cluster';

let lab: TestCluster;

beforeAll(async () => {
  lab = await startTestCluster({ workers: 1 });
});

afterAll(async () => {
  await lab?.stop();
});

interface Reply {
  status: number;
  contentType: string;
  body: string;
}

function send(
  method: string,
  path: string,
  body: Buffer | string | undefined,
  contentType: string,
): Promise<Reply> {
  const url = new URL(lab.cluster.server);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        ca: lab.cluster.certificates.caCert,
        headers: {
          authorization: `Bearer ${lab.cluster.token}`,
          'content-type': contentType,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function expectWellFormed(reply: Reply, what: string): void {
  expect(reply.contentType, what).toContain('application/json');
  const parsed = JSON.parse(reply.body) as Record<string, unknown>;
  if (reply.status >= 400) {
    expect(parsed, what).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: reply.status,
    });
    expect(typeof parsed.message, what).toBe('string');
  } else {
    expect(typeof parsed.kind, what).toBe('string');
  }
}

const CONTENT_TYPES = [
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
  'application/strategic-merge-patch+json',
  'application/merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
  'text/plain',
  'application/x-www-form-urlencoded',
  '',
];

function randomBody(random: Random): Buffer | string {
  const pick = randomInt(random, 12);
  const junk = (n: number): string =>
    Array.from({ length: n }, () => String.fromCharCode(32 + randomInt(random, 95))).join('');
  switch (pick) {
    case 0:
      return '{"kind":';
    case 1:
      return junk(1 + randomInt(random, 200));
    case 2:
      return Buffer.from(
        Array.from({ length: 1 + randomInt(random, 300) }, () => randomInt(random, 256)),
      );
    case 3:
      return Buffer.concat([
        Buffer.from([0x6b, 0x38, 0x73, 0x00]),
        Buffer.from(Array.from({ length: randomInt(random, 200) }, () => randomInt(random, 256))),
      ]);
    case 4:
      return '['.repeat(5000 + randomInt(random, 50_000)) + ']'.repeat(10);
    case 5:
      return `a: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`).join('\n')}\n`;
    case 6:
      return JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: junk(5) },
        spec: { containers: 'nope' },
      });
    case 7:
      return JSON.stringify({
        metadata: { name: 'x', labels: { [junk(3)]: junk(80) } },
        spec: { replicas: -5 },
      });
    case 8:
      return JSON.stringify([{ op: 'replace', path: `/${junk(4)}`, value: 1 }]);
    case 9:
      return JSON.stringify({ spec: { $patch: junk(4), containers: [{ $patch: 'delete' }] } });
    case 10:
      return '';
    default:
      return 'null';
  }
}

describe('API server fuzzing', () => {
  it('answers every malformed request with a Status and stays up', async () => {
    const random = seededRandom(20261123);
    const writable = RESOURCES.filter((r) => r.verbs.includes('create'));
    const attempts = 240;
    for (let i = 0; i < attempts; i++) {
      const type = writable[randomInt(random, writable.length)]!;
      const base = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
      const collection = type.namespaced
        ? `${base}/namespaces/default/${type.plural}`
        : `${base}/${type.plural}`;
      const method = ['POST', 'PUT', 'PATCH', 'DELETE'][randomInt(random, 4)]!;
      const path = method === 'POST' ? collection : `${collection}/fuzz-${randomInt(random, 3)}`;
      const contentType = CONTENT_TYPES[randomInt(random, CONTENT_TYPES.length)]!;
      const body = randomBody(random);
      const reply = await send(method, path, body, contentType);
      expectWellFormed(reply, `${method} ${path} ${contentType} #${i}`);
      expect(reply.status, `${method} ${path}`).not.toBe(500);
    }
    const health = await send('GET', '/healthz', undefined, 'application/json');
    expect(health).toMatchObject({ status: 200, body: 'ok' });
  });

  it('refuses bodies over 3 MiB with 413, deep nesting and alias bombs with 400', async () => {
    const huge = await send(
      'POST',
      '/api/v1/namespaces/default/configmaps',
      `{"data":{"a":"${'x'.repeat(3 * 1024 * 1024)}"}}`,
      'application/json',
    );
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body)).toMatchObject({
      reason: 'RequestEntityTooLarge',
      message: 'Request entity too large: limit is 3145728',
    });
    const deep = await send(
      'POST',
      '/api/v1/namespaces/default/configmaps',
      '['.repeat(200_000),
      'application/json',
    );
    expect(deep.status).toBe(400);
    const bomb = await send(
      'POST',
      '/api/v1/namespaces/default/configmaps',
      'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n',
      'application/yaml',
    );
    expect(bomb.status).toBe(400);
    expect(JSON.parse(bomb.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    const wrongType = await send(
      'POST',
      '/api/v1/namespaces/default/configmaps',
      '{}',
      'text/plain',
    );
    expect(wrongType.status).toBe(415);
    const unauthorized = await new Promise<number>((resolve) => {
      const url = new URL(lab.cluster.server);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/api/v1/pods',
          ca: lab.cluster.certificates.caCert,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.end();
    });
    expect(unauthorized).toBe(401);
  });
});
