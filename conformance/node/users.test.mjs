// The official openai npm package against orgusers: everything client.admin.organization.users
// does, and every error it can meet, with the error classes the real API would give.
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
const KEY = 'sk-admin-node-conformance-key-000000WXYZ';
const COUNT = 333;
const TOTAL = COUNT + 1;

function fixture() {
  const lines = [];
  for (let i = 0; i < COUNT; i++) {
    lines.push(JSON.stringify({
      id: `user-node${String(i).padStart(4, '0')}`,
      name: i % 4 === 0 ? `Zoë Ødegaard ${i}` : `User ${i}`,
      email: i % 4 === 0 ? `zoë.${i}@exämple.com` : `user${i}@example.com`,
      role: i < 2 ? 'owner' : 'reader',
      added_at: 1_700_000_000 + Math.floor(i / 3),
    }));
  }
  lines.push(JSON.stringify({ id: 'user-plus', email: 'first+tag@example.com', added_at: 1_800_000_000 }));
  return lines.join('\n') + '\n';
}

let server;

async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'orgusers-node-'));
  const database = `sqlite://${join(dir, 'orgusers.db')}`;
  writeFileSync(join(dir, 'users.jsonl'), fixture());
  const env = { ...process.env, ORGUSERS_LOG: 'warn' };
  execFileSync(BIN, ['import', '--database', database, join(dir, 'users.jsonl')], { env, stdio: 'pipe' });
  const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--database', database, '--admin-key', KEY], {
    env, stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((ok) => lines.once('line', ok));
  assert.match(first, /^listening on http:\/\/127\.0\.0\.1:\d+$/);
  const state = { child, dir, requests: 0, baseURL: first.replace('listening on ', '') + '/v1' };
  // Counts requests, to prove which errors are not retried.
  state.fetch = (url, init) => { state.requests += 1; return fetch(url, init); };
  state.client = (key = KEY) => new OpenAI({ adminAPIKey: key, baseURL: state.baseURL, fetch: state.fetch });
  return state;
}

beforeEach(async () => { server = await startServer(); });
afterEach(() => { server.child.kill('SIGKILL'); rmSync(server.dir, { recursive: true, force: true }); });

const users = () => server.client().admin.organization.users;

for (const limit of [undefined, 7, 100]) {
  test(`auto-pagination visits every user once (limit ${limit ?? 'default'})`, async () => {
    const ids = [];
    for await (const user of users().list(limit === undefined ? {} : { limit })) ids.push(user.id);
    assert.equal(ids.length, TOTAL);
    assert.equal(new Set(ids).size, TOTAL);
    assert.equal(ids[0], 'user-node0000');
    assert.equal(ids.at(-1), 'user-plus');
    assert.equal(server.requests, Math.ceil(TOTAL / (limit ?? 20)));
  });
}

test('page envelope and next page', async () => {
  const page = await users().list({ limit: 2 });
  assert.deepEqual(page.data.map((u) => u.id), ['user-node0000', 'user-node0001']);
  assert.equal(page.has_more, true);
  assert.equal(page.last_id, 'user-node0001');
  const next = await page.getNextPage();
  assert.deepEqual(next.data.map((u) => u.id), ['user-node0002', 'user-node0003']);
});

test('emails filters: one, many, unknown, paged, non-ASCII, plus sign', async () => {
  const ids = async (query) => (await users().list(query)).data.map((u) => u.id);
  assert.deepEqual(await ids({ emails: ['user1@example.com'] }), ['user-node0001']);
  assert.deepEqual(await ids({ emails: ['USER1@example.com', 'user2@example.com', 'nobody@x.io'] }), ['user-node0001', 'user-node0002']);
  assert.deepEqual(await ids({ emails: ['nobody@x.io'] }), []);
  assert.deepEqual(await ids({ emails: ['ZOË.8@EXÄMPLE.COM'] }), ['user-node0008']);
  assert.deepEqual(await ids({ emails: ['first+tag@example.com'] }), ['user-plus']);
  const wanted = [1, 2, 3, 5, 6, 7].map((i) => `user${i}@example.com`);
  const paged = [];
  for await (const u of users().list({ emails: wanted, limit: 2 })) paged.push(u.id);
  assert.deepEqual(paged, [1, 2, 3, 5, 6, 7].map((i) => `user-node000${i}`));
});

test('retrieve, update each field, delete', async () => {
  const user = await users().retrieve('user-node0009');
  assert.equal(user.object, 'organization.user');
  assert.equal(user.user.id, user.id);
  assert.equal(user.created, user.added_at);
  assert.equal((await users().update('user-node0009', { role: 'owner' })).role, 'owner');
  assert.equal((await users().update('user-node0009', { technical_level: 'expert' })).technical_level, 'expert');
  const both = await users().update('user-node0009', { developer_persona: 'researcher' });
  assert.equal(both.developer_persona, 'researcher');
  assert.equal(both.technical_level, 'expert');
  const cleared = await users().update('user-node0009', { technical_level: null, developer_persona: null });
  assert.equal(cleared.technical_level, null);
  const { response } = await users().retrieve('user-node0009').withResponse();
  const org = response.headers.get('openai-organization');
  const demoted = await users().update('user-node0009', { role_id: `role-api-organization-reader__api-organization__${org}` });
  assert.equal(demoted.role, 'reader');
  const deleted = await users().delete('user-node0009');
  assert.deepEqual(deleted, { object: 'organization.user.deleted', id: 'user-node0009', deleted: true });
  await assert.rejects(users().retrieve('user-node0009'), OpenAI.NotFoundError);
});

async function expectError(call, cls, status, code, param, message) {
  server.requests = 0;
  let error;
  try { await call(); } catch (e) { error = e; }
  assert.ok(error instanceof cls, `expected ${cls.name}, got ${error?.constructor?.name}: ${error?.message}`);
  assert.equal(error.status, status);
  assert.equal(error.code, code);
  assert.equal(error.param, param);
  assert.deepEqual(Object.keys(error.error).sort(), ['code', 'message', 'param', 'type']);
  if (message !== undefined) assert.equal(error.error.message, message);
  assert.match(error.requestID, /^req_[0-9a-f]{32}$/);
  assert.equal(server.requests, 1, `${cls.name} must not be retried`);
}

test('every error the SDK can meet', async () => {
  const u = users();
  await expectError(() => server.client('sk-admin-wrong-key-1234567890').admin.organization.users.list(),
    OpenAI.AuthenticationError, 401, 'invalid_api_key', null, 'Incorrect API key provided: sk-adm*******************7890.');
  await expectError(() => u.list({ limit: 0 }), OpenAI.BadRequestError, 400, 'integer_below_min_value', 'limit');
  await expectError(() => u.list({ limit: 101 }), OpenAI.BadRequestError, 400, 'integer_above_max_value', 'limit');
  await expectError(() => u.list({ after: 'user-nobody' }), OpenAI.BadRequestError, 400, 'invalid_value', 'after');
  await expectError(() => u.list({ emails: Array.from({ length: 1001 }, (_, i) => `u${i}@x.io`) }),
    OpenAI.BadRequestError, 400, 'array_above_max_length', 'emails');
  for (const call of [() => u.retrieve('user-nobody'), () => u.update('user-nobody', { role: 'owner' }), () => u.delete('user-nobody')]) {
    await expectError(call, OpenAI.NotFoundError, 404, null, 'user_id', 'No such user: user-nobody');
  }
  await expectError(() => u.update('user-node0005', { role: 'admin' }), OpenAI.BadRequestError, 400, 'invalid_value', 'role');
  await expectError(() => u.update('user-node0005', { role: null }), OpenAI.BadRequestError, 400, 'invalid_value', 'role');
  await expectError(() => u.update('user-node0005', { role_id: 'role-nope' }), OpenAI.BadRequestError, 400, 'invalid_value', 'role_id');
  await expectError(() => u.update('user-node0005', { name: 'x' }), OpenAI.BadRequestError, 400, null, 'name',
    'Unrecognized request argument supplied: name');
  await expectError(() => u.update('user-node0005', { technical_level: 'x'.repeat(1024 * 1024 + 1) }),
    OpenAI.APIError, 413, null, null, 'Request body too large.');
  await u.update('user-node0000', { role: 'reader' });
  await expectError(() => u.update('user-node0001', { role: 'reader' }), OpenAI.BadRequestError, 400, null, 'role',
    'An organization must keep at least one owner.');
  await expectError(() => u.delete('user-node0001'), OpenAI.BadRequestError, 400, null, null,
    'An organization must keep at least one owner.');
  await expectError(() => server.client().get('/organization/nothing', { headers: { Authorization: `Bearer ${KEY}` } }), OpenAI.NotFoundError, 404, null, null,
    'Invalid URL (GET /v1/organization/nothing)');
});
