// The official openai npm package against orgusers' admin API keys:
// client.admin.organization.adminAPIKeys (create, retrieve, list through the SDK's CursorPage in
// both orders and its auto-pagination, delete), the new key used at once as the client's key, a
// key deleting itself, expiry by the organization's clock (moved through orgusers' control
// endpoint with fetch), and the refusals as the SDK's error classes.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.ORGUSERS_BIN ?? join(ROOT, 'target', 'debug', 'orgusers');
const KEY = 'sk-admin-node-conformance-key-000000WXYZ';
const KEY_ID = /^key_[A-Za-z0-9]{24}$/;
const VALUE = /^sk-admin-[A-Za-z0-9]{48}$/;

let server;
const env = { ...process.env, ORGUSERS_LOG: 'warn' };

async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'orgusers-node-'));
  const database = `sqlite://${join(dir, 'orgusers.db')}`;
  const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--database', database, '--admin-key', KEY], {
    env, stdio: ['ignore', 'pipe', 'ignore'],
  });
  const out = createInterface({ input: child.stdout });
  const first = await new Promise((ok) => out.once('line', ok));
  assert.match(first, /^listening on http:\/\/127\.0\.0\.1:\d+$/);
  const root = first.replace('listening on ', '');
  const state = { child, dir, root, requests: 0, baseURL: `${root}/v1` };
  // Counts requests, to prove which errors are not retried.
  state.fetch = (url, init) => { state.requests += 1; return fetch(url, init); };
  state.client = (key = KEY) => new OpenAI({ adminAPIKey: key, baseURL: state.baseURL, fetch: state.fetch });
  return state;
}

beforeEach(async () => { server = await startServer(); });
afterEach(() => { server.child.kill('SIGKILL'); rmSync(server.dir, { recursive: true, force: true }); });

const keys = (key = KEY) => server.client(key).admin.organization.adminAPIKeys;
const collect = async (pages) => { const out = []; for await (const item of pages) out.push(item); return out; };
const byAge = (a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

// `call` rejects with `cls` carrying the status, param and code, after one request.
async function expectError(call, cls, status, param, code = null) {
  server.requests = 0;
  let error;
  try { await call(); } catch (e) { error = e; }
  assert.ok(error instanceof cls, `expected ${cls.name}, got ${error?.constructor?.name}: ${error?.message}`);
  assert.equal(error.status, status, JSON.stringify(error.error));
  assert.equal(error.param, param, JSON.stringify(error.error));
  assert.equal(error.code, code, JSON.stringify(error.error));
  assert.equal(error.type, 'invalid_request_error');
  assert.match(error.requestID, /^req_[0-9a-f]{32}$/);
  assert.equal(server.requests, 1, `${error.constructor.name} must not be retried`);
  return error;
}

// Polls with `value` until it is refused: the server's cache trusts a verified key for a second.
async function refusedUntil(value, seconds = 4) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      await server.client(value).admin.organization.users.list({ limit: 1 });
    } catch (e) {
      assert.ok(e instanceof OpenAI.AuthenticationError, e?.message);
      assert.equal(e.code, 'invalid_api_key');
      return e;
    }
    assert.ok(Date.now() < deadline, 'the key still opens the organization');
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

test('a created key shows its value once and works at once', async () => {
  const made = await keys().create({ name: 'ci', expires_in_seconds: 3600 });
  assert.match(made.id, KEY_ID);
  assert.match(made.value, VALUE);
  assert.equal(made.object, 'organization.admin_api_key');
  assert.equal(made.redacted_value, `sk-admin-...${made.value.slice(-4)}`);
  assert.equal(made.expires_at, made.created_at + 3600);
  assert.equal(made.last_used_at, null);
  assert.equal(made.owner.role, 'owner');
  const page = await server.client(made.value).admin.organization.users.list({ limit: 1 });
  assert.ok(Array.isArray(page.data));
  const read = await keys().retrieve(made.id);
  assert.equal(read.value, undefined);
  assert.ok(read.last_used_at >= made.created_at);
  assert.equal((await keys().create({ name: 'forever' })).expires_at, null);
});

test('the list in both orders, page after page', async () => {
  for (let i = 0; i < 5; i += 1) await keys().create({ name: `k${i}` });
  const all = await collect(keys().list({ limit: 2 }));
  assert.equal(all.length, 6); // the server's own key and the five
  assert.deepEqual(all.map((k) => k.id), [...all].sort(byAge).map((k) => k.id));
  const newest = await collect(keys().list({ limit: 4, order: 'desc' }));
  assert.deepEqual(newest.map((k) => k.id), all.map((k) => k.id).reverse());
  const first = await keys().list({ limit: 2 });
  assert.equal(first.has_more, true);
  assert.ok(all.every((k) => k.value === undefined));
});

test('delete, not found, and the deleted key refused', async () => {
  const made = await keys().create({ name: 'doomed' });
  const gone = await keys().delete(made.id);
  assert.deepEqual(gone, { object: 'organization.admin_api_key.deleted', id: made.id, deleted: true });
  const e = await expectError(() => keys().retrieve(made.id), OpenAI.NotFoundError, 404, 'key_id');
  assert.equal(e.error.message, `No such admin API key: ${made.id}`);
  await expectError(() => keys().delete(made.id), OpenAI.NotFoundError, 404, 'key_id');
  await refusedUntil(made.value);
});

test('a key may delete itself', async () => {
  const made = await keys().create({ name: 'self' });
  assert.equal((await keys(made.value).delete(made.id)).deleted, true);
  await assert.rejects(keys(made.value).list(), OpenAI.AuthenticationError);
});

test('an expired key is refused by the organization clock, and stays listed', async () => {
  const made = await keys().create({ name: 'brief', expires_in_seconds: 60 });
  await server.client(made.value).admin.organization.users.list({ limit: 1 });
  const moved = await fetch(`${server.root}/_orgusers/clock`, {
    method: 'POST', body: JSON.stringify({ advance_seconds: 120 }),
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
  });
  assert.equal(moved.status, 200);
  await refusedUntil(made.value);
  const listed = await collect(keys().list({ limit: 100 }));
  assert.ok(listed.some((k) => k.id === made.id));
});

test('refusals', async () => {
  for (const seconds of [0, 31_536_001]) {
    await expectError(() => keys().create({ name: 'x', expires_in_seconds: seconds }),
      OpenAI.BadRequestError, 400, 'expires_in_seconds', 'invalid_value');
  }
  await expectError(() => keys().create({ name: 'x', expires_in_seconds: 'soon' }),
    OpenAI.BadRequestError, 400, 'expires_in_seconds', 'invalid_type');
  await expectError(() => keys().create({}), OpenAI.BadRequestError, 400, 'name', 'missing_required_parameter');
  await expectError(() => keys().list({ order: 'sideways' }), OpenAI.BadRequestError, 400, 'order', 'invalid_value');
  await expectError(() => keys().list({ after: 'key_nope' }), OpenAI.BadRequestError, 400, 'after', 'invalid_value');
});
