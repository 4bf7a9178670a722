// The official openai npm package against orgusers' invites: client.admin.organization.invites
// (create, retrieve, list through the SDK's ConversationCursorPage and its auto-pagination,
// delete), the refusals as the SDK's error classes, and acceptance, which the public API has no
// call for, through orgusers' control endpoint POST /_orgusers/invites/{invite_id}/accept with
// fetch. Then the onboarding of the "done when": an invite into two projects (owner of
// one, member of the other), accepted, the user found by email with the right role and
// `projects` field, each membership confirmed through the project's users.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { ConversationCursorPage } from 'openai/core/pagination';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.ORGUSERS_BIN ?? join(ROOT, 'target', 'debug', 'orgusers');
const KEY = 'sk-admin-node-conformance-key-000000WXYZ';
const COUNT = 12;
const DEFAULT = 'Default project';
const INVITE_ID = /^invite-[A-Za-z0-9]{24}$/;
const USER_ID = /^user-[A-Za-z0-9]{24}$/;
const WEEK = 7 * 24 * 60 * 60;
const uid = (i) => `user-node${String(i).padStart(4, '0')}`;

function fixtureUser(i) {
  return {
    id: uid(i),
    name: `User ${i}`,
    email: `user${i}@example.com`,
    role: i < 2 ? 'owner' : 'reader',
    added_at: 1_700_000_000 + i,
  };
}

let server;
const env = { ...process.env, ORGUSERS_LOG: 'warn' };

async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'orgusers-node-'));
  const database = `sqlite://${join(dir, 'orgusers.db')}`;
  const lines = Array.from({ length: COUNT }, (_, i) => JSON.stringify(fixtureUser(i)));
  writeFileSync(join(dir, 'users.jsonl'), lines.join('\n') + '\n');
  execFileSync(BIN, ['import', '--database', database, join(dir, 'users.jsonl')], { env, stdio: 'pipe' });
  const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--database', database, '--admin-key', KEY], {
    env, stdio: ['ignore', 'pipe', 'ignore'],
  });
  const out = createInterface({ input: child.stdout });
  const first = await new Promise((ok) => out.once('line', ok));
  assert.match(first, /^listening on http:\/\/127\.0\.0\.1:\d+$/);
  const root = first.replace('listening on ', '');
  const state = { child, dir, root, requests: 0, baseURL: `${root}/v1` };
  // Counts requests, to prove which errors are not retried and how many pages a walk takes.
  state.fetch = (url, init) => { state.requests += 1; return fetch(url, init); };
  state.client = (key = KEY) => new OpenAI({ adminAPIKey: key, baseURL: state.baseURL, fetch: state.fetch });
  return state;
}

beforeEach(async () => { server = await startServer(); });
afterEach(() => { server.child.kill('SIGKILL'); rmSync(server.dir, { recursive: true, force: true }); });

const org = () => server.client().admin.organization;
const invites = () => org().invites;
// A raw request with the admin key: the SDK's raw methods use the apiKey scheme.
const raw = (method, path, body) =>
  server.client()[method](path, { body, headers: { Authorization: `Bearer ${KEY}` } });
const envelope = async (pages) => (await pages.asResponse()).json();
const collect = async (pages) => { const out = []; for await (const item of pages) out.push(item); return out; };
const ids = async (pages) => (await collect(pages)).map((x) => x.id);
const oneOf = (value, expected) => (Array.isArray(expected) ? expected.includes(value) : value === expected);
// The contract's order of first/last lists: creation time, ties by id (byte order).
const byAge = (a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const oldestFirst = (items) => [...items].sort(byAge).map((x) => x.id);
const granted = (invite) => invite.projects.map((p) => [p.id, p.role]);
const sorted = (pairs) => [...pairs].sort((a, b) => (a.join() < b.join() ? -1 : 1));

// POST /_orgusers/invites/{id}/accept with fetch: the SDK has no such call.
async function accept(inviteID, body = {}, key = KEY) {
  const response = await fetch(`${server.root}/_orgusers/invites/${inviteID}/accept`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, requestID: response.headers.get('x-request-id'), body: await response.json() };
}

async function defaultProject() {
  const found = (await collect(org().projects.list({ limit: 100 }))).filter((p) => p.name === DEFAULT);
  assert.equal(found.length, 1);
  return found[0];
}

function assertPending(invite, email, role) {
  assert.match(invite.id, INVITE_ID);
  assert.deepEqual([invite.object, invite.email, invite.role, invite.status], ['organization.invite', email, role, 'pending']);
  assert.ok(Number.isInteger(invite.created_at) && invite.created_at > 1_600_000_000);
  assert.equal(invite.expires_at, invite.created_at + WEEK);
  assert.equal(invite.accepted_at, null);
}

// `call` rejects with `cls` carrying the status, param and code, after one request.
async function expectError(call, cls, status, param, code = null, message = undefined) {
  server.requests = 0;
  let error;
  try { await call(); } catch (e) { error = e; }
  assert.ok(error instanceof cls, `expected ${cls.name}, got ${error?.constructor?.name}: ${error?.message}`);
  assert.equal(error.status, status, JSON.stringify(error.error));
  assert.ok(oneOf(error.param, param), `param ${error.param}: ${JSON.stringify(error.error)}`);
  assert.ok(oneOf(error.code, code), `code ${error.code}: ${JSON.stringify(error.error)}`);
  assert.deepEqual(Object.keys(error.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(error.type, 'invalid_request_error');
  if (message !== undefined) assert.equal(error.error.message, message);
  assert.match(error.requestID, /^req_[0-9a-f]{32}$/);
  assert.equal(server.requests, 1, `${error.constructor.name} must not be retried`);
  assert.ok(error.error.message);
  return error;
}
const refused = (call, param, code = null) => expectError(call, OpenAI.BadRequestError, 400, param, code);
const notFound = (call, id) => expectError(call, OpenAI.NotFoundError, 404, 'invite_id', null, `No such invite: ${id}`);

test('invites: create with the default projects, explicit ones and none; retrieve; list', async () => {
  const o = org();
  const dflt = await defaultProject();
  const made = await o.invites.create({ email: 'new.person@example.com', role: 'reader' });
  assertPending(made, 'new.person@example.com', 'reader');
  assert.deepEqual(granted(made), [[dflt.id, 'member']]);
  assert.deepEqual(await o.invites.retrieve(made.id), made);
  const alpha = await o.projects.create({ name: 'Alpha' });
  const beta = await o.projects.create({ name: 'Beta' });
  const both = await o.invites.create({
    email: 'zoë@exämple.com', role: 'owner',
    projects: [{ id: alpha.id, role: 'owner' }, { id: beta.id, role: 'member' }],
  });
  assertPending(both, 'zoë@exämple.com', 'owner');
  assert.deepEqual(sorted(granted(both)), sorted([[alpha.id, 'owner'], [beta.id, 'member']]));
  const none = await o.invites.create({ email: 'none@example.com', role: 'reader', projects: [] });
  assert.deepEqual(none.projects, []);
  assert.deepEqual((await o.invites.retrieve(none.id)).projects, []);
  const page = await o.invites.list();
  assert.ok(page instanceof ConversationCursorPage);
  assert.deepEqual(page.data.map((x) => x.id), oldestFirst([made, both, none]));
  assert.deepEqual(page.data.find((x) => x.id === both.id), both);
  const sent = await envelope(o.invites.list());
  assert.deepEqual([sent.object, sent.first_id, sent.last_id, sent.has_more], ['list', page.data[0].id, page.data[2].id, false]);
  // An invite is no user, and joins no project, until it is accepted.
  assert.deepEqual(await collect(o.users.list({ emails: ['new.person@example.com'] })), []);
  assert.deepEqual(await collect(o.projects.users.list(alpha.id)), []);
});

test('invites: refusals', async () => {
  const o = org();
  const bad = OpenAI.BadRequestError;
  const pending = await o.invites.create({ email: 'taken@example.com', role: 'reader' });
  const archived = await o.projects.create({ name: 'Old' });
  await o.projects.archive(archived.id);
  await refused(() => o.invites.create({ email: 'taken@example.com', role: 'owner' }), 'email');
  await refused(() => o.invites.create({ email: 'TAKEN@EXAMPLE.COM', role: 'reader' }), 'email');
  await refused(() => o.invites.create({ email: 'user3@example.com', role: 'reader' }), 'email');
  await refused(() => o.invites.create({ email: 'not-an-address', role: 'reader' }), 'email', 'invalid_value');
  // Projects that are not active projects of the organization: the contract names only the param.
  await refused(() => o.invites.create({ email: 'p@example.com', role: 'reader', projects: [{ id: 'proj_nope', role: 'member' }] }),
    'projects', [null, 'invalid_value']);
  await refused(() => o.invites.create({ email: 'p@example.com', role: 'reader', projects: [{ id: archived.id, role: 'member' }] }),
    'projects', [null, 'invalid_value']);
  await refused(() => o.invites.create({ email: 'r@example.com', role: 'member' }), 'role', 'invalid_value');
  await expectError(() => raw('post', '/organization/invites', { role: 'reader' }), bad, 400, 'email',
    'missing_required_parameter', "Missing required parameter: 'email'.");
  await expectError(() => raw('post', '/organization/invites', { email: 'r@example.com' }), bad, 400, 'role',
    'missing_required_parameter', "Missing required parameter: 'role'.");
  await expectError(() => o.invites.create({ email: 'r@example.com', role: 'reader', color: 'red' }), bad, 400, 'color', null,
    'Unrecognized request argument supplied: color');
  await expectError(() => server.client('sk-admin-wrong-key-1234567890').admin.organization.invites.list(),
    OpenAI.AuthenticationError, 401, null, 'invalid_api_key');
  for (const call of [() => o.invites.retrieve('invite-nope'), () => o.invites.delete('invite-nope')]) {
    await notFound(call, 'invite-nope');
  }
  assert.deepEqual(await ids(o.invites.list()), [pending.id]);
});

test('invites: delete; auto-pagination, getNextPage, after = last_id, deleting while walking', async () => {
  const i = invites();
  const made = [];
  for (let n = 0; n < 25; n++) made.push(await i.create({ email: `page${n}@example.com`, role: 'reader', projects: [] }));
  const expected = oldestFirst(made);
  server.requests = 0;
  assert.deepEqual(await ids(i.list({ limit: 7 })), expected);
  assert.equal(server.requests, 4); // 7 + 7 + 7 + 4
  const first = await i.list({ limit: 7 });
  assert.deepEqual([first.has_more, first.last_id], [true, expected[6]]);
  const second = await first.getNextPage();
  assert.ok(second instanceof ConversationCursorPage);
  assert.deepEqual(second.data.map((x) => x.id), expected.slice(7, 14));
  assert.deepEqual((await i.list({ limit: 7, after: first.last_id })).data.map((x) => x.id), expected.slice(7, 14));
  const seen = [];
  let n = 0;
  for await (const invite of i.list({ limit: 5 })) {
    seen.push(invite.id);
    if (n++ === 4) {
      assert.deepEqual(await i.delete(expected[4]), { object: 'organization.invite.deleted', id: expected[4], deleted: true });
      await i.delete(expected[12]);
    }
  }
  assert.deepEqual(seen, expected.filter((id) => id !== expected[12]));
  await notFound(() => i.retrieve(expected[4]), expected[4]);
  await notFound(() => i.delete(expected[4]), expected[4]);
  // The address is free again.
  const freed = made.find((x) => x.id === expected[4]).email;
  assertPending(await i.create({ email: freed, role: 'reader' }), freed, 'reader');
  await expectError(() => i.list({ limit: 0 }), OpenAI.BadRequestError, 400, 'limit', 'integer_below_min_value');
  await expectError(() => i.list({ limit: 101 }), OpenAI.BadRequestError, 400, 'limit', 'integer_above_max_value');
  await expectError(() => i.list({ after: 'invite-nothing' }), OpenAI.BadRequestError, 400, 'after', 'invalid_value');
});

test('accept through the control endpoint: the user, the invite accepted, what it refuses', async () => {
  const o = org();
  const dflt = await defaultProject();
  const invite = await o.invites.create({ email: 'grace.new@example.com', role: 'owner' });
  const answer = await accept(invite.id, { name: 'Grace New' });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.match(answer.requestID, /^req_/);
  const user = answer.body;
  assert.match(user.id, USER_ID);
  assert.deepEqual([user.object, user.email, user.name, user.role], ['organization.user', 'grace.new@example.com', 'Grace New', 'owner']);
  assert.ok(user.added_at >= invite.created_at);
  const found = await o.users.retrieve(user.id);
  assert.deepEqual([found.email, found.role, found.added_at], [user.email, 'owner', user.added_at]);
  assert.deepEqual(found.projects.data.map((p) => [p.id, p.name, p.role]), [[dflt.id, DEFAULT, 'member']]);
  const now = await o.invites.retrieve(invite.id);
  assert.deepEqual([now.status, now.accepted_at], ['accepted', user.added_at]);
  // No deleting an accepted invite, no second acceptance, no new invite of a user's address.
  await refused(() => o.invites.delete(invite.id), [null, 'invite_id']);
  assert.equal((await accept(invite.id)).status, 400);
  await refused(() => o.invites.create({ email: 'grace.new@example.com', role: 'reader' }), 'email');
  // Unknown ids, wrong keys, wrong bodies; nothing under /v1.
  const unknown = await accept('invite-nope');
  assert.deepEqual([unknown.status, unknown.body.error.message, unknown.body.error.param], [404, 'No such invite: invite-nope', 'invite_id']);
  const later = await o.invites.create({ email: 'later@example.com', role: 'reader', projects: [] });
  assert.equal((await accept(later.id, {}, 'sk-admin-wrong-key-1234567890')).status, 401);
  assert.equal((await accept(later.id, { name: 7 })).status, 400);
  const underV1 = await fetch(`${server.baseURL}/_orgusers/invites/${later.id}/accept`, {
    method: 'POST', headers: { Authorization: `Bearer ${KEY}` },
  });
  assert.equal(underV1.status, 404);
  assert.equal((await o.invites.retrieve(later.id)).status, 'pending');
  // Without a name, into no project.
  const quiet = await accept(later.id);
  assert.equal(quiet.status, 200);
  assert.deepEqual((await o.users.retrieve(quiet.body.id)).projects.data, []);
});

test('onboarding: invited into two projects, accepted, found by email, confirmed in each project', async () => {
  const o = org();
  const billing = await o.projects.create({ name: 'Billing' });
  const search = await o.projects.create({ name: 'Search' });
  const address = 'Ngozi.Okafor+new@exämple.com';
  const roles = { [billing.id]: 'owner', [search.id]: 'member' };
  const invite = await o.invites.create({
    email: address, role: 'reader', projects: [{ id: billing.id, role: 'owner' }, { id: search.id, role: 'member' }],
  });
  assertPending(invite, address, 'reader');
  const accepted = await accept(invite.id, { name: 'Ngozi Okafor' });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));

  const found = await collect(o.users.list({ emails: [address.toUpperCase()] }));
  assert.equal(found.length, 1);
  const [user] = found;
  assert.deepEqual([user.id, user.email, user.name, user.role], [accepted.body.id, address, 'Ngozi Okafor', 'reader']);
  assert.equal(user.projects.object, 'list');
  const expected = [billing, search].sort(byAge).map((p) => [p.id, p.name, roles[p.id]]);
  assert.deepEqual(user.projects.data.map((p) => [p.id, p.name, p.role]), expected);
  for (const project of [billing, search]) {
    const member = await o.projects.users.retrieve(user.id, { project_id: project.id });
    assert.deepEqual([member.object, member.id, member.email, member.role], ['organization.project.user', user.id, address, roles[project.id]]);
    assert.ok((await ids(o.projects.users.list(project.id))).includes(user.id));
  }
  assert.ok(!(await ids(o.projects.users.list((await defaultProject()).id, { limit: 100 }))).includes(user.id));
  assert.equal((await o.invites.retrieve(invite.id)).status, 'accepted');
});
