// The official openai npm package against orgusers' projects: client.admin.organization.projects
// and what lives in a project (.users, .serviceAccounts with .serviceAccounts.apiKeys, .apiKeys,
// .groups), and the `projects` field of every organization user. Every first/last list is walked
// through the SDK's ConversationCursorPage (project groups: NextCursorPage); every error is checked
// as the SDK's error class. Project API keys owned by users exist only through `orgusers import`:
// the tests import them into the running server's store.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { ConversationCursorPage, NextCursorPage } from 'openai/core/pagination';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.ORGUSERS_BIN ?? join(ROOT, 'target', 'debug', 'orgusers');
const KEY = 'sk-admin-node-conformance-key-000000WXYZ';
const COUNT = 60;
const DEFAULT = 'Default project';
const PROJECT_ID = /^proj_[A-Za-z0-9]{24}$/;
const SERVICE_ACCOUNT_ID = /^svc_acct_[A-Za-z0-9]{24}$/;
const KEY_ID = /^key_[A-Za-z0-9]{24}$/;
const SECRET = /^sk-svcacct-[A-Za-z0-9]{48}$/;
const ARCHIVED_PARAM = [null, 'project_id'];
const uid = (i) => `user-node${String(i).padStart(4, '0')}`;

function fixtureUser(i) {
  return {
    id: uid(i),
    name: i % 4 === 0 ? `Zoë Ødegaard ${i}` : `User ${i}`,
    email: i % 4 === 0 ? `zoë.${i}@exämple.com` : `user${i}@example.com`,
    role: i < 2 ? 'owner' : 'reader',
    added_at: 1_700_000_000 + i,
  };
}
const email = (i) => fixtureUser(i).email;

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
  const state = { child, dir, database, requests: 0, baseURL: first.replace('listening on ', '') + '/v1' };
  // Counts requests, to prove which errors are not retried and how many pages a walk takes.
  state.fetch = (url, init) => { state.requests += 1; return fetch(url, init); };
  state.client = (key = KEY) => new OpenAI({ adminAPIKey: key, baseURL: state.baseURL, fetch: state.fetch });
  return state;
}

beforeEach(async () => { server = await startServer(); });
afterEach(() => { server.child.kill('SIGKILL'); rmSync(server.dir, { recursive: true, force: true }); });

const org = () => server.client().admin.organization;
const projects = () => org().projects;
// A raw request with the admin key: the SDK's raw methods use the apiKey scheme.
const raw = (method, path, body) =>
  server.client()[method](path, { body, headers: { Authorization: `Bearer ${KEY}` } });
// The page envelope as sent: the SDK's ConversationCursorPage keeps `last_id` only.
const envelope = async (pages) => (await pages.asResponse()).json();
const collect = async (pages) => { const out = []; for await (const item of pages) out.push(item); return out; };
const ids = async (pages) => (await collect(pages)).map((x) => x.id);
const oneOf = (value, expected) => (Array.isArray(expected) ? expected.includes(value) : value === expected);
// The contract's order of first/last lists: creation time, ties by id (byte order).
const byAge = (key = 'created_at', id = 'id') => (a, b) => a[key] - b[key] || (a[id] < b[id] ? -1 : a[id] > b[id] ? 1 : 0);
const oldestFirst = (items) => [...items].sort(byAge()).map((x) => x.id);
const projectRoles = (id) => [`role-api-project-owner__api-project__${id}`, `role-api-project-member__api-project__${id}`];
const keyId = (tag, i) => `key_${tag}${String(i).padStart(24 - tag.length, '0')}`;
const held = (user) => {
  assert.equal(user.projects?.object, 'list', `${user.id} has no projects field`);
  return user.projects.data.map((p) => [p.id, p.name, p.role]);
};

async function defaultProject() {
  const found = (await collect(projects().list({ include_archived: true, limit: 100 }))).filter((p) => p.name === DEFAULT);
  assert.equal(found.length, 1);
  return found[0];
}

// The `projects` field of a user with these direct memberships ({project id: role}).
async function expectedHeld(roles) {
  const all = await Promise.all(Object.keys(roles).map((id) => projects().retrieve(id)));
  return all.filter((p) => p.status === 'active').sort(byAge()).map((p) => [p.id, p.name, roles[p.id]]);
}

// A line of `orgusers import` for a project API key owned by fixture user `i`: the API's shape,
// the project's id and the hash of a secret.
function userKey(projectId, id, i, role, createdAt, name = `Key ${id}`) {
  const user = fixtureUser(i);
  const secret = `sk-proj-conformance-${id}`;
  return {
    object: 'organization.project.api_key', project_id: projectId, id, name,
    redacted_value: `sk-proj-...${secret.slice(-4)}`, created_at: createdAt, last_used_at: null,
    owner_project_access: 'active',
    owner: { type: 'user', user: { id: user.id, name: user.name, email: user.email, role, created_at: user.added_at } },
    value_sha256: createHash('sha256').update(secret).digest('hex'),
  };
}

function importLines(lines) {
  const input = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
  try {
    execFileSync(BIN, ['import', '--database', server.database, '-'], { env, input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    assert.fail(`orgusers import refused the lines: ${e.stderr}`);
  }
}

// `call` rejects with `cls` (or one of an array) carrying the status, param and code, after one
// request. Where the contract leaves a choice open, an array lists the values it allows.
async function expectError(call, cls, status, param, code = null, message = undefined) {
  server.requests = 0;
  let error;
  try { await call(); } catch (e) { error = e; }
  const classes = Array.isArray(cls) ? cls : [cls];
  assert.ok(classes.some((c) => error instanceof c),
    `expected ${classes.map((c) => c.name)}, got ${error?.constructor?.name}: ${error?.message}`);
  assert.ok(oneOf(error.status, status), `status ${error.status}: ${JSON.stringify(error.error)}`);
  assert.ok(oneOf(error.param, param), `param ${error.param}: ${JSON.stringify(error.error)}`);
  assert.ok(oneOf(error.code, code), `code ${error.code}: ${JSON.stringify(error.error)}`);
  assert.deepEqual(Object.keys(error.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(error.type, 'invalid_request_error');
  if (message !== undefined) assert.equal(error.error.message, message);
  assert.match(error.requestID, /^req_[0-9a-f]{32}$/);
  assert.equal(server.requests, 1, `${error.constructor.name} must not be retried`);
  return error;
}
const notFound = (call, kind, param, id) => expectError(call, OpenAI.NotFoundError, 404, param, null, `No such ${kind}: ${id}`);
const conflict = async (call, param) => {
  const e = await expectError(call, OpenAI.BadRequestError, 400, param, null);
  assert.ok(e.error.message);
};

test('the Default project: every imported user a member, in every user object', async () => {
  const page = await projects().list();
  assert.ok(page instanceof ConversationCursorPage);
  assert.equal(page.data.length, 1);
  const [project] = page.data;
  assert.match(project.id, PROJECT_ID);
  assert.deepEqual([project.object, project.name, project.status, project.archived_at], ['organization.project', DEFAULT, 'active', null]);
  assert.deepEqual([page.has_more, page.last_id], [false, project.id]);
  const sent = await envelope(projects().list());
  assert.deepEqual([sent.object, sent.first_id, sent.last_id, sent.has_more], ['list', project.id, project.id, false]);
  assert.deepEqual(await projects().retrieve(project.id), project);
  await conflict(() => projects().archive(project.id), [null, 'project_id']);
  assert.equal((await projects().retrieve(project.id)).status, 'active');

  const members = Object.fromEntries((await collect(projects().users.list(project.id, { limit: 100 }))).map((m) => [m.id, m]));
  assert.equal(Object.keys(members).length, COUNT);
  for (const user of await collect(org().users.list({ limit: 100 }))) {
    const member = members[user.id];
    assert.equal(member.object, 'organization.project.user');
    assert.deepEqual([member.email, member.name], [user.email, user.name]);
    assert.equal(member.role, user.role === 'owner' ? 'owner' : 'member');
    assert.deepEqual(held(user), [[project.id, DEFAULT, member.role]]);
  }
});

test('projects: create, retrieve, update, archive (idempotent), include_archived', async () => {
  const p = projects();
  const dflt = await defaultProject();
  const created = await p.create({ name: 'Project ABC' });
  assert.match(created.id, PROJECT_ID);
  assert.deepEqual([created.object, created.name, created.status, created.archived_at], ['organization.project', 'Project ABC', 'active', null]);
  assert.ok(Number.isInteger(created.created_at) && created.created_at >= dflt.created_at);
  assert.deepEqual(await p.retrieve(created.id), created);
  assert.deepEqual(await collect(p.users.list(created.id)), []);
  const renamed = await p.update(created.id, { name: 'Project DEF' });
  assert.deepEqual({ ...renamed }, { ...created, name: 'Project DEF' });
  assert.deepEqual(await p.update(created.id, {}), renamed);
  const twin = await p.create({ name: 'Project DEF' });
  assert.notEqual(twin.id, created.id);

  const archived = await p.archive(created.id);
  assert.deepEqual([archived.id, archived.name, archived.status], [created.id, 'Project DEF', 'archived']);
  assert.ok(Number.isInteger(archived.archived_at) && archived.archived_at >= created.created_at);
  assert.deepEqual(await p.archive(created.id), archived);
  assert.deepEqual(await p.retrieve(created.id), archived);
  const active = oldestFirst([dflt, twin]);
  const everything = oldestFirst([dflt, created, twin]);
  assert.deepEqual(await ids(p.list()), active);
  assert.deepEqual(await ids(p.list({ include_archived: false })), active);
  assert.deepEqual(await ids(p.list({ include_archived: true })), everything);
  for (const value of ['True', 'TRUE', '1']) assert.deepEqual(await ids(p.list({ include_archived: value })), everything);
  for (const value of ['False', '0']) assert.deepEqual(await ids(p.list({ include_archived: value })), active);
  await expectError(() => p.list({ include_archived: 'yes' }), OpenAI.BadRequestError, 400, 'include_archived', 'invalid_type');
});

test('projects: errors', async () => {
  const p = projects();
  const bad = OpenAI.BadRequestError;
  const kept = await p.create({ name: 'Kept' });
  await expectError(() => server.client('sk-admin-wrong-key-1234567890').admin.organization.projects.list(),
    OpenAI.AuthenticationError, 401, null, 'invalid_api_key', 'Incorrect API key provided: sk-adm*******************7890.');
  await expectError(() => raw('post', '/organization/projects', {}), bad, 400, 'name', 'missing_required_parameter',
    "Missing required parameter: 'name'.");
  await expectError(() => raw('post', '/organization/projects', { name: 7 }), bad, 400, 'name', 'invalid_type',
    "Invalid type for 'name': expected a string, but got an integer instead.");
  await expectError(() => p.create({ name: 'x', color: 'red' }), bad, 400, 'color', null, 'Unrecognized request argument supplied: color');
  await expectError(() => p.create({ name: 'x'.repeat(1024 * 1024 + 1) }), OpenAI.APIError, 413, null, null, 'Request body too large.');
  for (const call of [() => p.retrieve('proj_nope'), () => p.update('proj_nope', { name: 'x' }), () => p.archive('proj_nope')]) {
    await notFound(call, 'project', 'project_id', 'proj_nope');
  }
  assert.deepEqual((await collect(p.list({ include_archived: true }))).map((x) => x.name).sort(), [DEFAULT, 'Kept']);
  assert.equal((await p.retrieve(kept.id)).status, 'active');
});

test('projects: auto-pagination, getNextPage, after = last_id, archiving while walking', async () => {
  const p = projects();
  const dflt = await defaultProject();
  const made = [dflt];
  for (let i = 0; i < 25; i++) made.push(await p.create({ name: `Project ${String(i).padStart(2, '0')}` }));
  const expected = oldestFirst(made);
  server.requests = 0;
  assert.deepEqual(await ids(p.list({ limit: 7 })), expected);
  assert.equal(server.requests, 4); // 7 + 7 + 7 + 5
  const first = await p.list({ limit: 7 });
  assert.deepEqual([first.has_more, first.last_id], [true, expected[6]]);
  const sent = await envelope(p.list({ limit: 7 }));
  assert.deepEqual([sent.first_id, sent.last_id, sent.has_more], [expected[0], expected[6], true]);
  const second = await first.getNextPage();
  assert.ok(second instanceof ConversationCursorPage);
  assert.deepEqual(second.data.map((x) => x.id), expected.slice(7, 14));
  assert.deepEqual((await p.list({ limit: 7, after: first.last_id })).data.map((x) => x.id), expected.slice(7, 14));
  const pages = [];
  for await (const page of (await p.list({ limit: 10 })).iterPages()) pages.push(page.data.length);
  assert.deepEqual(pages, [10, 10, 6]);
  // The Default project cannot be archived; it sorts among the others when they were created in
  // the same second.
  const cursor = expected[4] !== dflt.id ? 4 : 9;
  const later = expected[12] !== dflt.id ? 12 : 13;
  const seen = [];
  let i = 0;
  for await (const project of p.list({ limit: 5 })) {
    seen.push(project.id);
    if (i++ === cursor) {
      await p.archive(expected[cursor]); // the next page's cursor
      await p.archive(expected[later]);
    }
  }
  assert.deepEqual(seen, expected.filter((id) => id !== expected[later]));
  assert.deepEqual(await ids(p.list({ limit: 5, include_archived: true })), expected);
});

for (const kind of ['projects', 'project users', 'service accounts', 'project API keys']) {
  test(`first/last list parameters: ${kind}`, async () => {
    const p = projects();
    const project = await p.create({ name: 'Parameters' });
    await p.users.create(project.id, { user_id: uid(3), role: 'member' });
    await p.serviceAccounts.create(project.id, { name: 'Parameters' });
    const list = {
      projects: (q) => p.list(q),
      'project users': (q) => p.users.list(project.id, q),
      'service accounts': (q) => p.serviceAccounts.list(project.id, q),
      'project API keys': (q) => p.apiKeys.list(project.id, q),
    }[kind];
    const bad = OpenAI.BadRequestError;
    await expectError(() => list({ limit: 0 }), bad, 400, 'limit', 'integer_below_min_value');
    await expectError(() => list({ limit: 101 }), bad, 400, 'limit', 'integer_above_max_value');
    await expectError(() => list({ limit: 'abc' }), bad, 400, 'limit', 'invalid_type',
      "Invalid 'limit': expected an integer, but got 'abc' instead.");
    await expectError(() => list({ after: 'nothing-of-this-list' }), bad, 400, 'after', 'invalid_value');
    const page = await list({ limit: 100 });
    assert.ok(page instanceof ConversationCursorPage);
    assert.equal(page.has_more, false);
    assert.ok(page.data.length >= 1);
    server.requests = 0;
    assert.deepEqual(await collect(list({ limit: 1 })), page.data);
    assert.equal(server.requests, page.data.length);
  });
}

test('project users: add by id or email, retrieve, update, remove, errors', async () => {
  const p = projects();
  const users = p.users;
  const bad = OpenAI.BadRequestError;
  const project = await p.create({ name: 'Members' });
  const added = await users.create(project.id, { user_id: uid(10), role: 'member' });
  assert.deepEqual(Object.keys(added).sort(), ['added_at', 'email', 'id', 'name', 'object', 'role']);
  assert.deepEqual([added.object, added.id, added.role, added.email, added.name],
    ['organization.project.user', uid(10), 'member', email(10), fixtureUser(10).name]);
  const byEmail = await users.create(project.id, { email: email(12), role: 'owner' }); // "zoë.12@exämple.com"
  assert.deepEqual([byEmail.id, byEmail.role], [uid(12), 'owner']);
  assert.equal((await users.create(project.id, { user_id: uid(13), email: email(13), role: 'member' })).id, uid(13));
  assert.deepEqual(await users.retrieve(uid(10), { project_id: project.id }), added);
  const promoted = await users.update(uid(10), { project_id: project.id, role: 'owner' });
  assert.deepEqual(promoted, { ...added, role: 'owner' });
  const page = await users.list(project.id);
  assert.ok(page instanceof ConversationCursorPage);
  assert.deepEqual(page.data.map((m) => m.id), [...page.data].sort(byAge('added_at')).map((m) => m.id));
  assert.deepEqual(page.data.map((m) => m.id).sort(), [uid(10), uid(12), uid(13)]);

  assert.deepEqual(await users.delete(uid(12), { project_id: project.id }),
    { object: 'organization.project.user.deleted', id: uid(12), deleted: true });
  for (const call of [() => users.retrieve(uid(12), { project_id: project.id }),
    () => users.update(uid(12), { project_id: project.id, role: 'member' }), () => users.delete(uid(12), { project_id: project.id })]) {
    await notFound(call, 'user', 'user_id', uid(12));
  }
  assert.equal((await org().users.retrieve(uid(12))).id, uid(12));
  // A project may be left without owners.
  await users.delete(uid(10), { project_id: project.id });
  assert.deepEqual(await ids(users.list(project.id)), [uid(13)]);

  for (const call of [() => users.list('proj_nope'), () => users.create('proj_nope', { user_id: uid(10), role: 'member' }),
    () => users.retrieve(uid(13), { project_id: 'proj_nope' }), () => users.delete(uid(13), { project_id: 'proj_nope' })]) {
    await notFound(call, 'project', 'project_id', 'proj_nope');
  }
  await notFound(() => users.retrieve('user-nobody', { project_id: project.id }), 'user', 'user_id', 'user-nobody');
  await org().users.delete(uid(20));
  for (const user of ['user-nobody', uid(20)]) {
    await expectError(() => users.create(project.id, { user_id: user, role: 'member' }), bad, 400, 'user_id', [null, 'invalid_value']);
  }
  await expectError(() => users.create(project.id, { email: 'nobody@example.com', role: 'member' }), bad, 400, 'email', [null, 'invalid_value']);
  await expectError(() => users.create(project.id, { user_id: uid(21), email: email(22), role: 'member' }), bad, 400,
    ['user_id', 'email', null], [null, 'invalid_value']);
  await conflict(() => users.create(project.id, { user_id: uid(13), role: 'owner' }), ['user_id', 'email', null]);
  await expectError(() => users.create(project.id, { user_id: uid(21), role: 'admin' }), bad, 400, 'role', 'invalid_value');
  await expectError(() => users.update(uid(13), { project_id: project.id, role: 'reader' }), bad, 400, 'role', 'invalid_value');
  await expectError(() => raw('post', `/organization/projects/${project.id}/users`, { user_id: uid(21) }), bad, 400, 'role',
    'missing_required_parameter', "Missing required parameter: 'role'.");
  await expectError(() => users.create(project.id, { user_id: uid(21), role: 'member', note: 1 }), bad, 400, 'note', null,
    'Unrecognized request argument supplied: note');
  assert.deepEqual((await collect(users.list(project.id))).map((m) => [m.id, m.role]), [[uid(13), 'member']]);
});

test('project users: auto-pagination, and removals while walking', async () => {
  const p = projects();
  const dflt = await defaultProject();
  server.requests = 0;
  const members = await collect(p.users.list(dflt.id, { limit: 7 }));
  assert.equal(new Set(members.map((m) => m.id)).size, COUNT);
  assert.equal(server.requests, Math.ceil(COUNT / 7));
  assert.deepEqual(members.map((m) => m.id), [...members].sort(byAge('added_at')).map((m) => m.id));
  const project = await p.create({ name: 'Walk' });
  for (let i = 30; i < 50; i++) await p.users.create(project.id, { user_id: uid(i), role: 'member' });
  const expected = (await p.users.list(project.id, { limit: 100 })).data.sort(byAge('added_at')).map((m) => m.id);
  assert.equal(expected.length, 20);
  server.requests = 0;
  assert.deepEqual(await ids(p.users.list(project.id, { limit: 6 })), expected);
  assert.equal(server.requests, 4);
  const first = await p.users.list(project.id, { limit: 6 });
  assert.deepEqual((await first.getNextPage()).data.map((m) => m.id), expected.slice(6, 12));
  const seen = [];
  let i = 0;
  for await (const m of p.users.list(project.id, { limit: 5 })) {
    seen.push(m.id);
    if (i++ === 4) {
      await p.users.delete(expected[4], { project_id: project.id }); // the next page's cursor
      await p.users.delete(expected[13], { project_id: project.id });
    }
  }
  assert.deepEqual(seen, expected.filter((id) => id !== expected[13]));
});

test("a user's projects field: direct, active memberships, oldest project first", async () => {
  const o = org();
  const dflt = await defaultProject();
  const user = uid(30);
  const [first, second, third] = [await o.projects.create({ name: 'First' }), await o.projects.create({ name: 'Second' }),
    await o.projects.create({ name: 'Third' })];
  await o.projects.users.create(second.id, { user_id: user, role: 'owner' });
  await o.projects.users.create(first.id, { user_id: user, role: 'member' });
  const roles = { [dflt.id]: 'member', [first.id]: 'member', [second.id]: 'owner' };
  const expected = await expectedHeld(roles);
  assert.deepEqual(expected.map(([id]) => id), oldestFirst([dflt, first, second]));
  assert.deepEqual(held(await o.users.retrieve(user)), expected);
  assert.deepEqual(held((await o.users.list({ emails: [email(30)] })).data[0]), expected);
  assert.deepEqual(held((await collect(o.users.list({ limit: 100 }))).find((u) => u.id === user)), expected);
  const group = await o.groups.create({ name: 'Via group' });
  await o.groups.users.create(group.id, { user_id: user });
  await o.projects.groups.create(third.id, { group_id: group.id, role: projectRoles(third.id)[1] });
  assert.deepEqual(held(await o.users.retrieve(user)), expected);
  await o.projects.users.update(user, { project_id: first.id, role: 'owner' });
  roles[first.id] = 'owner';
  assert.deepEqual(held(await o.users.retrieve(user)), await expectedHeld(roles));
  await o.projects.archive(second.id);
  assert.deepEqual(held(await o.users.retrieve(user)), await expectedHeld({ [dflt.id]: 'member', [first.id]: 'owner' }));
  await o.projects.users.delete(user, { project_id: first.id });
  assert.deepEqual(held(await o.users.update(user, { technical_level: 'expert' })), [[dflt.id, DEFAULT, 'member']]);
  assert.deepEqual(held(await o.users.retrieve(uid(31))), [[dflt.id, DEFAULT, 'member']]);
});

test('service accounts: the key value shown once, without a key, update, more keys, delete', async () => {
  const p = projects();
  const accounts = p.serviceAccounts;
  const project = await p.create({ name: 'Services' });
  const created = await accounts.create(project.id, { name: 'Production App' });
  assert.deepEqual(Object.keys(created).sort(), ['api_key', 'created_at', 'id', 'name', 'object', 'role']);
  assert.match(created.id, SERVICE_ACCOUNT_ID);
  assert.deepEqual([created.object, created.name, created.role], ['organization.project.service_account', 'Production App', 'member']);
  const key = created.api_key;
  assert.equal(key.object, 'organization.project.service_account.api_key');
  assert.match(key.value, SECRET);
  assert.match(key.id, KEY_ID);
  const fetched = await accounts.retrieve(created.id, { project_id: project.id });
  assert.deepEqual(fetched, { object: created.object, id: created.id, name: created.name, role: 'member', created_at: created.created_at });

  const listed = await collect(p.apiKeys.list(project.id));
  assert.deepEqual(listed.map((k) => k.id), [key.id]);
  const [entry] = listed;
  assert.deepEqual([entry.object, entry.name, entry.owner_project_access, entry.last_used_at],
    ['organization.project.api_key', key.name, 'active', null]);
  assert.equal(entry.redacted_value, `sk-svcacct-...${key.value.slice(-4)}`);
  assert.equal(entry.owner.type, 'service_account');
  assert.deepEqual([entry.owner.service_account.id, entry.owner.service_account.name], [created.id, 'Production App']);
  assert.deepEqual(await p.apiKeys.retrieve(key.id, { project_id: project.id }), entry);
  for (const answer of [p.apiKeys.list(project.id), p.apiKeys.retrieve(key.id, { project_id: project.id }),
    accounts.list(project.id), accounts.retrieve(created.id, { project_id: project.id })]) {
    const text = await (await answer.asResponse()).text();
    assert.ok(!text.includes(key.value.slice(11)), 'the secret is shown only once');
  }

  const bare = await accounts.create(project.id, { name: 'No key', create_service_account_only: true });
  assert.deepEqual([bare.api_key, bare.role], [null, 'none']);
  assert.deepEqual(await ids(p.apiKeys.list(project.id)), [key.id]);
  const renamed = await accounts.update(created.id, { project_id: project.id, name: 'Renamed', role: 'owner' });
  assert.deepEqual(renamed, { ...fetched, name: 'Renamed', role: 'owner' });
  assert.deepEqual(await ids(accounts.list(project.id)), oldestFirst([created, bare]));
  const second = await accounts.apiKeys.create(created.id, { project_id: project.id, name: 'Second key' });
  assert.deepEqual(Object.keys(second).filter((k) => k !== 'expires_at').sort(), ['created_at', 'id', 'name', 'object', 'value']);
  assert.deepEqual([second.object, second.name], ['organization.project.service_account.api_key', 'Second key']);
  assert.match(second.value, SECRET);
  assert.notEqual(second.value, key.value);
  const third = await accounts.apiKeys.create(created.id, { project_id: project.id, scopes: ['api.responses.write'] });
  assert.match(third.value, SECRET);
  assert.deepEqual((await ids(p.apiKeys.list(project.id))).sort(), [key.id, second.id, third.id].sort());
  assert.ok(!(await ids(org().users.list({ limit: 100 }))).includes(created.id));

  assert.deepEqual(await accounts.delete(created.id, { project_id: project.id }),
    { object: 'organization.project.service_account.deleted', id: created.id, deleted: true });
  for (const call of [() => accounts.retrieve(created.id, { project_id: project.id }),
    () => accounts.delete(created.id, { project_id: project.id }),
    () => accounts.apiKeys.create(created.id, { project_id: project.id, name: 'x' })]) {
    await notFound(call, 'service account', 'service_account_id', created.id);
  }
  assert.deepEqual(await collect(p.apiKeys.list(project.id)), []);
  await notFound(() => p.apiKeys.retrieve(key.id, { project_id: project.id }), 'API key', 'api_key_id', key.id);

  const bad = OpenAI.BadRequestError;
  await notFound(() => accounts.create('proj_nope', { name: 'x' }), 'project', 'project_id', 'proj_nope');
  await expectError(() => raw('post', `/organization/projects/${project.id}/service_accounts`, {}), bad, 400, 'name',
    'missing_required_parameter', "Missing required parameter: 'name'.");
  await expectError(() => accounts.update(bare.id, { project_id: project.id, role: 'admin' }), bad, 400, 'role', 'invalid_value');
  const others = await p.create({ name: 'Other' });
  await notFound(() => accounts.retrieve(bare.id, { project_id: others.id }), 'service account', 'service_account_id', bare.id);
  const many = [];
  for (let i = 0; i < 11; i++) many.push(await accounts.create(others.id, { name: `S${i}`, create_service_account_only: true }));
  server.requests = 0;
  assert.deepEqual(await ids(accounts.list(others.id, { limit: 4 })), oldestFirst(many));
  assert.equal(server.requests, 3);
});

test('project API keys: user-owned (imported), retrieve, delete, pagination', async () => {
  const p = projects();
  const project = await p.create({ name: 'Keys' });
  const other = await p.create({ name: 'Other keys' });
  await p.users.create(project.id, { user_id: uid(40), role: 'member' });
  await p.users.create(project.id, { user_id: uid(41), role: 'owner' });
  const lines = [];
  for (let i = 0; i < 13; i++) lines.push(userKey(project.id, keyId('node', 13 - i), 40 + (i % 2), i % 2 ? 'owner' : 'member', 1_750_000_000 + Math.floor(i / 2)));
  lines.push(userKey(other.id, keyId('other', 1), 41, 'owner', 1_750_000_100));
  importLines(lines);
  const all = (await p.apiKeys.list(project.id, { limit: 100 })).data;
  const expected = oldestFirst(all);
  assert.equal(expected.length, 13);
  server.requests = 0;
  assert.deepEqual(await ids(p.apiKeys.list(project.id, { limit: 5 })), expected);
  assert.equal(server.requests, 3);
  for (const entry of all) {
    assert.deepEqual(Object.keys(entry).filter((k) => k !== 'expires_at').sort(),
      ['created_at', 'id', 'last_used_at', 'name', 'object', 'owner', 'owner_project_access', 'redacted_value']);
    assert.equal(entry.owner.type, 'user');
    const user = await org().users.retrieve(entry.owner.user.id);
    assert.deepEqual([entry.owner.user.email, entry.owner.user.name, entry.owner.user.created_at], [user.email, user.name, user.added_at]);
    assert.equal(entry.owner.user.role, user.id === uid(41) ? 'owner' : 'member');
    assert.equal(entry.owner_project_access, 'active');
  }
  const target = expected[3];
  assert.deepEqual(await p.apiKeys.retrieve(target, { project_id: project.id }), all.find((k) => k.id === target));
  assert.deepEqual(await p.apiKeys.delete(target, { project_id: project.id }),
    { object: 'organization.project.api_key.deleted', id: target, deleted: true });
  await notFound(() => p.apiKeys.retrieve(target, { project_id: project.id }), 'API key', 'api_key_id', target);
  await notFound(() => p.apiKeys.delete(target, { project_id: project.id }), 'API key', 'api_key_id', target);
  await notFound(() => p.apiKeys.retrieve(keyId('other', 1), { project_id: project.id }), 'API key', 'api_key_id', keyId('other', 1));
  await notFound(() => p.apiKeys.list('proj_nope'), 'project', 'project_id', 'proj_nope');
  assert.deepEqual(await ids(p.apiKeys.list(project.id)), expected.filter((id) => id !== target));
  assert.deepEqual(await ids(p.apiKeys.list(other.id)), [keyId('other', 1)]);
});

test('an archived project refuses changes and can still be read', async () => {
  const o = org();
  const p = o.projects;
  const project = await p.create({ name: 'To archive' });
  await p.users.create(project.id, { user_id: uid(50), role: 'member' });
  const account = await p.serviceAccounts.create(project.id, { name: 'Service' });
  importLines([userKey(project.id, keyId('arch', 1), 50, 'member', 1_770_000_000)]);
  const group = await o.groups.create({ name: 'Granted' });
  const later = await o.groups.create({ name: 'Too late' });
  const memberRole = projectRoles(project.id)[1];
  await p.groups.create(project.id, { group_id: group.id, role: memberRole });
  const before = [await collect(p.users.list(project.id)), await collect(p.serviceAccounts.list(project.id)),
    await collect(p.apiKeys.list(project.id)), await collect(p.groups.list(project.id))];
  const archived = await p.archive(project.id);
  assert.equal(archived.status, 'archived');
  for (const call of [
    () => p.update(project.id, { name: 'Renamed' }),
    () => p.users.create(project.id, { user_id: uid(51), role: 'member' }),
    () => p.users.update(uid(50), { project_id: project.id, role: 'owner' }),
    () => p.users.delete(uid(50), { project_id: project.id }),
    () => p.serviceAccounts.create(project.id, { name: 'Another' }),
    () => p.serviceAccounts.update(account.id, { project_id: project.id, name: 'Renamed' }),
    () => p.serviceAccounts.delete(account.id, { project_id: project.id }),
    () => p.serviceAccounts.apiKeys.create(account.id, { project_id: project.id, name: 'Another key' }),
    () => p.apiKeys.delete(keyId('arch', 1), { project_id: project.id }),
    () => p.groups.create(project.id, { group_id: later.id, role: memberRole }),
    () => p.groups.delete(group.id, { project_id: project.id }),
  ]) {
    await conflict(call, ARCHIVED_PARAM);
  }
  assert.deepEqual(await p.retrieve(project.id), archived);
  assert.deepEqual([await collect(p.users.list(project.id)), await collect(p.serviceAccounts.list(project.id)),
    await collect(p.apiKeys.list(project.id)), await collect(p.groups.list(project.id))], before);
});

test('project groups: grant (again: unchanged), list, retrieve, remove, errors, pagination', async () => {
  const o = org();
  const grants = o.projects.groups;
  const bad = OpenAI.BadRequestError;
  const project = await o.projects.create({ name: 'Granted' });
  const [ownerRole, memberRole] = projectRoles(project.id);
  const group = await o.groups.create({ name: 'Support Team' });
  const granted = await grants.create(project.id, { group_id: group.id, role: memberRole });
  assert.deepEqual(Object.keys(granted).sort(), ['created_at', 'group_id', 'group_name', 'group_type', 'object', 'project_id']);
  assert.deepEqual([granted.object, granted.project_id, granted.group_id, granted.group_name, granted.group_type],
    ['project.group', project.id, group.id, 'Support Team', 'group']);
  assert.deepEqual(await grants.create(project.id, { group_id: group.id, role: ownerRole }), granted);
  const page = await grants.list(project.id);
  assert.ok(page instanceof NextCursorPage);
  assert.deepEqual([page.data, page.has_more, page.next], [[granted], false, null]);
  assert.deepEqual(await grants.retrieve(group.id, { project_id: project.id }), granted);
  assert.deepEqual(await grants.delete(group.id, { project_id: project.id }), { object: 'project.group.deleted', deleted: true });
  await notFound(() => grants.retrieve(group.id, { project_id: project.id }), 'group', 'group_id', group.id);
  await notFound(() => grants.delete(group.id, { project_id: project.id }), 'group', 'group_id', group.id);
  await notFound(() => grants.list('proj_nope'), 'project', 'project_id', 'proj_nope');
  const other = await o.projects.create({ name: 'Other' });
  for (const role of ['role_nope', 'member', projectRoles(other.id)[0]]) {
    await expectError(() => grants.create(project.id, { group_id: group.id, role }), bad, 400, 'role', [null, 'invalid_value']);
  }
  await expectError(() => grants.create(project.id, { group_id: 'group_nope', role: memberRole }), [bad, OpenAI.NotFoundError],
    [400, 404], 'group_id', [null, 'invalid_value']);
  await expectError(() => raw('post', `/organization/projects/${project.id}/groups`, { group_id: group.id }), bad, 400, 'role',
    'missing_required_parameter', "Missing required parameter: 'role'.");
  assert.deepEqual(await collect(grants.list(project.id)), []);

  const groups = [];
  for (let i = 0; i < 23; i++) groups.push(await o.groups.create({ name: `Team ${i}` }));
  for (const g of groups) await grants.create(project.id, { group_id: g.id, role: memberRole });
  const expected = (await grants.list(project.id, { limit: 100 })).data.sort(byAge('created_at', 'group_id')).map((g) => g.group_id);
  server.requests = 0;
  assert.deepEqual((await collect(grants.list(project.id, { limit: 7 }))).map((g) => g.group_id), expected);
  assert.equal(server.requests, 4);
  server.requests = 0;
  assert.deepEqual((await collect(grants.list(project.id))).map((g) => g.group_id), expected);
  assert.equal(server.requests, 2); // the default limit is 20
  assert.deepEqual((await collect(grants.list(project.id, { limit: 7, order: 'desc' }))).map((g) => g.group_id), [...expected].reverse());
  const empty = await grants.list(project.id, { limit: 0 });
  assert.deepEqual([empty.data, empty.has_more, empty.next], [[], true, null]);
  await expectError(() => grants.list(project.id, { limit: 101 }), bad, 400, 'limit', 'integer_above_max_value');
  await expectError(() => grants.list(project.id, { after: 'made-up-cursor' }), bad, 400, 'after', 'invalid_value');
  // Deleting a group ends its access.
  await o.groups.delete(groups[0].id);
  assert.ok(!(await collect(grants.list(project.id, { limit: 100 }))).some((g) => g.group_id === groups[0].id));
});

test('deleting an organization user ends its memberships and deletes its project API keys', async () => {
  const o = org();
  const dflt = await defaultProject();
  const [first, second] = [await o.projects.create({ name: 'First' }), await o.projects.create({ name: 'Second' })];
  for (const project of [first, second]) {
    await o.projects.users.create(project.id, { user_id: uid(45), role: 'owner' });
    await o.projects.users.create(project.id, { user_id: uid(46), role: 'member' });
  }
  const service = await o.projects.serviceAccounts.create(first.id, { name: 'Service' });
  importLines([
    userKey(first.id, keyId('gone', 1), 45, 'owner', 1_780_000_001),
    userKey(second.id, keyId('gone', 2), 45, 'owner', 1_780_000_002),
    userKey(dflt.id, keyId('gone', 3), 45, 'member', 1_780_000_003),
    userKey(first.id, keyId('kept', 1), 46, 'member', 1_780_000_004),
  ]);
  const keptBefore = await o.users.retrieve(uid(46));
  await o.users.delete(uid(45));
  for (const project of [dflt, first, second]) {
    assert.ok(!(await ids(o.projects.users.list(project.id, { limit: 100 }))).includes(uid(45)));
    await notFound(() => o.projects.users.retrieve(uid(45), { project_id: project.id }), 'user', 'user_id', uid(45));
  }
  for (const [id, project] of [[keyId('gone', 1), first], [keyId('gone', 2), second], [keyId('gone', 3), dflt]]) {
    await notFound(() => o.projects.apiKeys.retrieve(id, { project_id: project.id }), 'API key', 'api_key_id', id);
  }
  assert.deepEqual((await ids(o.projects.apiKeys.list(first.id))).sort(), [keyId('kept', 1), service.api_key.id].sort());
  assert.deepEqual(await collect(o.projects.apiKeys.list(second.id)), []);
  assert.deepEqual(await o.users.retrieve(uid(46)), keptBefore);
});

test("another organization's projects are unknown ids", async () => {
  const ours = org();
  const project = await ours.projects.create({ name: 'Ours' });
  const made = execFileSync(BIN, ['keys', 'create', '--database', server.database, '--org', 'other'],
    { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const theirs = server.client(made.toString().trim().split('\n').at(-1)).admin.organization;
  const theirProjects = await collect(theirs.projects.list({ include_archived: true }));
  assert.deepEqual(theirProjects.map((p) => p.name), [DEFAULT]);
  assert.ok(!(await ids(ours.projects.list())).includes(theirProjects[0].id));
  for (const call of [() => theirs.projects.retrieve(project.id), () => theirs.projects.users.list(project.id),
    () => theirs.projects.serviceAccounts.list(project.id), () => theirs.projects.apiKeys.list(project.id),
    () => theirs.projects.groups.list(project.id)]) {
    await notFound(call, 'project', 'project_id', project.id);
  }
  await expectError(() => theirs.projects.users.create(theirProjects[0].id, { user_id: uid(1), role: 'member' }),
    OpenAI.BadRequestError, 400, 'user_id', [null, 'invalid_value']);
});
