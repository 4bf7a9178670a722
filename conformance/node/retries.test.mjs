// The official openai npm package's retries, driven by faults injected through orgusers' own
// /_orgusers/faults, and counted in its request journal (/_orgusers/requests).
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.ORGUSERS_BIN ?? join(ROOT, 'target', 'debug', 'orgusers');
const KEY = 'sk-admin-node-retries-key-00000000000WXYZ';
const USERS = '/v1/organization/users';

let server;

async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'orgusers-node-retries-'));
  const database = `sqlite://${join(dir, 'orgusers.db')}`;
  const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({
    id: `user-retry${String(i).padStart(2, '0')}`,
    email: `user${i}@example.com`,
    role: i === 0 ? 'owner' : 'reader',
    added_at: 1_700_000_000 + i,
  }));
  writeFileSync(join(dir, 'users.jsonl'), lines.join('\n') + '\n');
  const env = { ...process.env, ORGUSERS_LOG: 'warn' };
  execFileSync(BIN, ['import', '--database', database, join(dir, 'users.jsonl')], { env, stdio: 'pipe' });
  const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--database', database, '--admin-key', KEY], {
    env, stdio: ['ignore', 'pipe', 'ignore'],
  });
  const first = await new Promise((ok) => createInterface({ input: child.stdout }).once('line', ok));
  assert.match(first, /^listening on http:\/\/127\.0\.0\.1:\d+$/);
  const root = first.replace('listening on ', '');
  const state = { child, dir, root, requests: 0 };
  // Counts the SDK's requests, retries included.
  const counting = (url, init) => { state.requests += 1; return fetch(url, init); };
  state.client = (options = {}) => new OpenAI({ adminAPIKey: KEY, baseURL: `${root}/v1`, fetch: counting, ...options });
  return state;
}

beforeEach(async () => { server = await startServer(); });
afterEach(() => { server.child.kill('SIGKILL'); rmSync(server.dir, { recursive: true, force: true }); });

/** A request to orgusers' control endpoints, which sit beside /v1. */
async function control(method, path, body) {
  const response = await fetch(server.root + path, {
    method,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert.equal(response.status, 200, JSON.stringify(json));
  return json;
}

const addFault = (fault) => control('POST', '/_orgusers/faults', fault);
const journal = async (limit) => (await control('GET', `/_orgusers/requests?limit=${limit}`)).data;

for (const status of [429, 500, 503]) {
  test(`retries get past two ${status}s`, async () => {
    const fault = await addFault({ method: 'GET', path: USERS, status, count: 2 });
    assert.equal(fault.object, 'orgusers.fault');
    assert.equal(fault.remaining, 2);
    const page = await server.client({ maxRetries: 2 }).admin.organization.users.list({ limit: 5 });
    assert.equal(page.data.length, 5);
    assert.equal(server.requests, 3);
    const requests = await journal(3);
    assert.deepEqual(requests.map((r) => r.status), [200, status, status]);
    for (const r of requests) {
      assert.equal(r.method, 'GET');
      assert.equal(r.path, USERS);
      assert.equal(r.query, 'limit=5');
    }
    assert.equal(new Set(requests.map((r) => r.request_id)).size, 3);
    assert.deepEqual((await control('GET', '/_orgusers/faults')).data, []);
  });
}

for (const [status, cls] of [[429, OpenAI.RateLimitError], [500, OpenAI.InternalServerError], [503, OpenAI.InternalServerError]]) {
  test(`retries give up after three ${status}s`, async () => {
    await addFault({ method: 'GET', path: USERS, status, count: 3 });
    const client = server.client({ maxRetries: 2 });
    let error;
    try { await client.admin.organization.users.list(); } catch (e) { error = e; }
    assert.ok(error instanceof cls, `expected ${cls.name}, got ${error?.constructor?.name}: ${error?.message}`);
    assert.equal(error.status, status);
    assert.equal(server.requests, 3);
    const requests = await journal(3);
    assert.deepEqual(requests.map((r) => r.status), [status, status, status]);
    assert.equal(error.requestID, requests[0].request_id);
    if (status === 429) {
      assert.equal(error.code, 'rate_limit_exceeded');
      assert.equal(error.type, 'requests');
      assert.equal(error.headers.get('retry-after'), '0');
    }
    // The fault is used up: the next call goes through at once.
    assert.ok((await client.admin.organization.users.list({ limit: 1 })).data.length === 1);
  });
}

test('errors that are not retried fail at once', async () => {
  await addFault({ path: `${USERS}/*`, status: 404, count: 5 });
  await assert.rejects(server.client({ maxRetries: 2 }).admin.organization.users.retrieve('user-retry01'), OpenAI.NotFoundError);
  assert.equal(server.requests, 1);
  assert.deepEqual((await journal(5)).map((r) => r.status), [404]);
});

test('a slow answer meets the SDK timeout, and the retry gets through', async () => {
  await addFault({ path: USERS, latency_ms: 1500, count: 1 });
  const page = await server.client({ maxRetries: 1, timeout: 500 }).admin.organization.users.list({ limit: 1 });
  assert.equal(page.data.length, 1);
  assert.equal(server.requests, 2);
});
