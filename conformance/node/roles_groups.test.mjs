// The official openai npm package against orgusers' access control: client.admin.organization
// .roles, .users.roles, .groups, .groups.users and .groups.roles. Every list is walked through the
// SDK's NextCursorPage and its auto-pagination; every error is checked as the SDK's error class.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { NextCursorPage } from 'openai/core/pagination';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.ORGUSERS_BIN ?? join(ROOT, 'target', 'debug', 'orgusers');
const KEY = 'sk-admin-node-conformance-key-000000WXYZ';
const COUNT = 40;
const ROLE_ID = /^role_[A-Za-z0-9]{24}$/;
const GROUP_ID = /^group_[A-Za-z0-9]{24}$/;
const PERMISSIONS = [
  'api.organization.read', 'api.organization.write', 'api.users.read', 'api.users.write',
  'api.invites.read', 'api.invites.write', 'api.groups.read', 'api.groups.write',
  'api.roles.read', 'api.roles.write', 'api.projects.read', 'api.projects.write',
  'api.admin_api_keys.read', 'api.admin_api_keys.write', 'api.audit_logs.read', 'api.usage.read',
];
const LAST_OWNER = 'An organization must keep at least one owner.';
const uid = (i) => `user-node${String(i).padStart(4, '0')}`;

function fixture() {
  const lines = [];
  for (let i = 0; i < COUNT; i++) {
    lines.push(JSON.stringify({
      id: uid(i),
      name: i % 4 === 0 ? `Zoë Ødegaard ${i}` : `User ${i}`,
      email: i % 4 === 0 ? `zoë.${i}@exämple.com` : `user${i}@example.com`,
      role: i < 2 ? 'owner' : 'reader',
      added_at: 1_700_000_000 + i,
    }));
  }
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
  const state = { child, dir, database, requests: 0, baseURL: first.replace('listening on ', '') + '/v1' };
  // Counts requests, to prove which errors are not retried and how many pages a walk takes.
  state.fetch = (url, init) => { state.requests += 1; return fetch(url, init); };
  state.client = (key = KEY) => new OpenAI({ adminAPIKey: key, baseURL: state.baseURL, fetch: state.fetch });
  const { response } = await state.client().admin.organization.users.retrieve(uid(0)).withResponse();
  const org = response.headers.get('openai-organization');
  state.owner = `role-api-organization-owner__api-organization__${org}`;
  state.reader = `role-api-organization-reader__api-organization__${org}`;
  return state;
}

beforeEach(async () => { server = await startServer(); });
afterEach(() => { server.child.kill('SIGKILL'); rmSync(server.dir, { recursive: true, force: true }); });

const org = () => server.client().admin.organization;
const makeRole = (name, permissions = ['api.groups.read'], extra = {}) =>
  org().roles.create({ role_name: name, permissions, ...extra });
// A raw request with the admin key: the SDK's raw methods use the apiKey scheme.
const raw = (method, path, body) =>
  server.client()[method](path, { body, headers: { Authorization: `Bearer ${KEY}` } });
const collect = async (pages) => { const out = []; for await (const item of pages) out.push(item); return out; };
const ids = async (pages) => (await collect(pages)).map((x) => x.id);
const sources = (role) => (role.assignment_sources ?? []).map((s) => `${s.principal_type}:${s.principal_id}`).sort();
const oneOf = (value, expected) => (Array.isArray(expected) ? expected.includes(value) : value === expected);

// `call` rejects with `cls` (or one of an array) carrying the status, param and code, after one
// request. Where the contract leaves a choice open, an array lists the values it allows.
async function expectError(call, cls, status, param, code = null, message = undefined) {
  server.requests = 0;
  let error;
  try { await call(); } catch (e) { error = e; }
  const classes = Array.isArray(cls) ? cls : [cls];
  assert.ok(classes.some((c) => error instanceof c),
    `expected ${classes.map((c) => c.name)}, got ${error?.constructor?.name}: ${error?.message}`);
  assert.ok(oneOf(error.status, status), `status ${error.status}`);
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
const conflict = (call, param) => expectError(call, OpenAI.BadRequestError, 400, param, null);

function assertRole(role) {
  assert.deepEqual(Object.keys(role).sort(),
    ['description', 'id', 'name', 'object', 'permissions', 'predefined_role', 'resource_type']);
  assert.equal(role.object, 'role');
  assert.equal(role.resource_type, 'api.organization');
  assert.ok(Array.isArray(role.permissions));
}

function assertAssignedRole(role) {
  for (const key of ['id', 'name', 'permissions', 'resource_type', 'predefined_role', 'description', 'created_at',
    'updated_at', 'created_by', 'created_by_user_obj', 'metadata', 'assignment_sources']) {
    assert.ok(key in role, `${key} missing from ${JSON.stringify(role)}`);
  }
}

test('predefined roles: listed first, retrievable, never changed', async () => {
  const roles = org().roles;
  const page = await roles.list();
  assert.ok(page instanceof NextCursorPage);
  assert.equal(page.has_more, false);
  assert.equal(page.next, null);
  assert.deepEqual(page.data.map((r) => r.id), [server.owner, server.reader]);
  const [owner, reader] = page.data;
  for (const [role, name] of [[owner, 'owner'], [reader, 'reader']]) {
    assertRole(role);
    assert.equal(role.name, name);
    assert.equal(role.predefined_role, true);
    assert.deepEqual(await roles.retrieve(role.id), role);
    await conflict(() => roles.update(role.id, { description: 'mine now' }), [null, 'role_id']);
    await conflict(() => roles.delete(role.id), [null, 'role_id']);
  }
  assert.deepEqual([...owner.permissions].sort(), [...PERMISSIONS].sort());
  assert.ok(reader.permissions.every((p) => owner.permissions.includes(p)));
  assert.ok(reader.permissions.length < owner.permissions.length);
  assert.deepEqual((await roles.list()).data, [owner, reader]);
});

test('custom roles: create, retrieve, list in both orders, update each field, delete', async () => {
  const roles = org().roles;
  const created = await makeRole('Group Managers', ['api.groups.read', 'api.groups.write'], { description: 'Manage groups' });
  assertRole(created);
  assert.match(created.id, ROLE_ID);
  assert.equal(created.name, 'Group Managers');
  assert.equal(created.description, 'Manage groups');
  assert.deepEqual(created.permissions, ['api.groups.read', 'api.groups.write']);
  assert.equal(created.predefined_role, false);
  assert.deepEqual(await roles.retrieve(created.id), created);
  const bare = await makeRole('Auditors', ['api.audit_logs.read']);
  assert.equal(bare.description, null);
  // Predefined first, then by creation time (seconds), ties by id.
  const asc = await ids(roles.list());
  assert.deepEqual(asc.slice(0, 2), [server.owner, server.reader]);
  assert.deepEqual(asc.slice(2).sort(), [created.id, bare.id].sort());
  assert.deepEqual(await ids(roles.list({ order: 'asc' })), asc);
  assert.deepEqual(await ids(roles.list({ order: 'desc' })), [...asc].reverse());

  const renamed = await roles.update(created.id, { role_name: 'Group Admins' });
  assertRole(renamed);
  assert.deepEqual([renamed.name, renamed.description, renamed.permissions], ['Group Admins', 'Manage groups', created.permissions]);
  const narrowed = await roles.update(created.id, { permissions: ['api.groups.read'] });
  assert.deepEqual([narrowed.name, narrowed.permissions], ['Group Admins', ['api.groups.read']]);
  const described = await roles.update(created.id, { description: 'Read groups' });
  assert.deepEqual([described.description, described.permissions], ['Read groups', ['api.groups.read']]);
  assert.deepEqual(await roles.update(created.id, {}), described);
  assert.deepEqual(await roles.retrieve(created.id), described);

  const deleted = await roles.delete(created.id);
  assert.deepEqual(deleted, { object: 'role.deleted', id: created.id, deleted: true });
  await notFound(() => roles.retrieve(created.id), 'role', 'role_id', created.id);
  await notFound(() => roles.delete(created.id), 'role', 'role_id', created.id);
  assert.deepEqual(await ids(roles.list()), asc.filter((id) => id !== created.id));
});

test('role errors: names, permissions, bodies, unknown ids', async () => {
  const roles = org().roles;
  await makeRole('Support');
  const other = await makeRole('Billing');
  const bad = OpenAI.BadRequestError;
  await conflict(() => makeRole('SUPPORT'), 'role_name');
  await conflict(() => makeRole('Owner'), 'role_name');
  await conflict(() => roles.update(other.id, { role_name: 'support' }), 'role_name');
  const permissionCodes = [null, 'invalid_value'];
  await expectError(() => makeRole('Empty', []), bad, 400, 'permissions', permissionCodes);
  await expectError(() => makeRole('Unknown', ['api.groups.read', 'api.everything']), bad, 400, 'permissions', permissionCodes);
  await expectError(() => roles.update(other.id, { permissions: [] }), bad, 400, 'permissions', permissionCodes);
  await expectError(() => raw('post', '/organization/roles', { permissions: ['api.users.read'] }), bad, 400, 'role_name',
    'missing_required_parameter', "Missing required parameter: 'role_name'.");
  await expectError(() => raw('post', '/organization/roles', { role_name: 'x', permissions: 'api.users.read' }), bad, 400,
    'permissions', 'invalid_type', "Invalid type for 'permissions': expected an array, but got a string instead.");
  await expectError(() => makeRole('Extra', ['api.users.read'], { color: 'red' }), bad, 400, 'color', null,
    'Unrecognized request argument supplied: color');
  for (const call of [() => roles.retrieve('role_nope'), () => roles.update('role_nope', { description: 'x' }), () => roles.delete('role_nope')]) {
    await notFound(call, 'role', 'role_id', 'role_nope');
  }
  assert.deepEqual((await collect(roles.list())).map((r) => r.name).sort(), ['Billing', 'Support', 'owner', 'reader']);
});

for (const kind of ['roles', 'groups', 'group users', 'user roles', 'group roles']) {
  test(`next-style list parameters: ${kind}`, async () => {
    const o = org();
    const group = await o.groups.create({ name: 'Parameters' });
    const role = await makeRole('Parameters');
    await o.groups.users.create(group.id, { user_id: uid(3) });
    await o.groups.roles.create(group.id, { role_id: role.id });
    const list = {
      roles: (q) => o.roles.list(q),
      groups: (q) => o.groups.list(q),
      'group users': (q) => o.groups.users.list(group.id, q),
      'user roles': (q) => o.users.roles.list(uid(3), q),
      'group roles': (q) => o.groups.roles.list(group.id, q),
    }[kind];
    const bad = OpenAI.BadRequestError;
    await expectError(() => list({ limit: -1 }), bad, 400, 'limit', 'integer_below_min_value');
    await expectError(() => list({ limit: 1001 }), bad, 400, 'limit', 'integer_above_max_value');
    await expectError(() => list({ order: 'sideways' }), bad, 400, 'order', 'invalid_value');
    await expectError(() => list({ after: 'made-up-cursor' }), bad, 400, 'after', 'invalid_value');
    server.requests = 0;
    const empty = await list({ limit: 0 });
    assert.ok(empty instanceof NextCursorPage);
    assert.deepEqual([empty.data, empty.has_more, empty.next, empty.hasNextPage()], [[], true, null, false]);
    assert.deepEqual(await collect(list({ limit: 0 })), []);
    assert.equal(server.requests, 2);
    assert.equal((await list({ limit: 1000 })).data.length, (await collect(list({ limit: 1 }))).length);
  });
}

test('roles: auto-pagination across pages, getNextPage, after = next', async () => {
  const roles = org().roles;
  const custom = [];
  for (let i = 0; i < 25; i++) custom.push((await makeRole(`Role ${String(i).padStart(2, '0')}`, [PERMISSIONS[i % 16]])).id);
  const expected = (await roles.list({ limit: 1000 })).data.map((r) => r.id); // one page: the order to walk
  assert.deepEqual(expected.slice(0, 2), [server.owner, server.reader]);
  assert.deepEqual(expected.slice(2).sort(), [...custom].sort());
  server.requests = 0;
  const walked = await ids(roles.list({ limit: 7 }));
  assert.deepEqual(walked, expected);
  assert.equal(new Set(walked).size, 27);
  assert.equal(server.requests, 4); // 7 + 7 + 7 + 6
  assert.deepEqual(await ids(roles.list({ limit: 7, order: 'desc' })), [...expected].reverse());
  const first = await roles.list({ limit: 10 });
  assert.equal(first.has_more, true);
  assert.ok(first.next);
  const second = await first.getNextPage();
  assert.ok(second instanceof NextCursorPage);
  assert.deepEqual(second.data.map((r) => r.id), expected.slice(10, 20));
  assert.deepEqual((await roles.list({ limit: 10, after: first.next })).data.map((r) => r.id), expected.slice(10, 20));
  const last = await second.getNextPage();
  assert.deepEqual(last.data.map((r) => r.id), expected.slice(20));
  assert.deepEqual([last.has_more, last.next, last.hasNextPage()], [false, null, false]);
  const pages = [];
  for await (const page of (await roles.list({ limit: 10 })).iterPages()) pages.push(page.data.length);
  assert.deepEqual(pages, [10, 10, 7]);
});

test("a user's roles: list, assign, assign again, retrieve, unassign", async () => {
  const o = org();
  const user = uid(10);
  const page = await o.users.roles.list(user);
  assert.ok(page instanceof NextCursorPage);
  assert.deepEqual(page.data.map((r) => r.id), [server.reader]);
  assertAssignedRole(page.data[0]);
  assert.deepEqual([page.data[0].name, page.data[0].predefined_role], ['reader', true]);
  assert.deepEqual(sources(page.data[0]), [`user:${user}`]);

  const role = await makeRole('Invite Managers', ['api.invites.read', 'api.invites.write'], { description: 'Invites' });
  const assigned = await o.users.roles.create(user, { role_id: role.id });
  assert.deepEqual(Object.keys(assigned).sort(), ['object', 'role', 'user']);
  assert.equal(assigned.object, 'user.role');
  assert.deepEqual([assigned.user.object, assigned.user.id, assigned.user.role], ['organization.user', user, 'reader']);
  assert.deepEqual(assigned.role, role);
  assert.deepEqual(await o.users.roles.create(user, { role_id: role.id }), assigned);

  const held = Object.fromEntries((await collect(o.users.roles.list(user))).map((r) => [r.id, r]));
  assert.deepEqual(Object.keys(held).sort(), [server.reader, role.id].sort());
  assert.deepEqual(sources(held[role.id]), [`user:${user}`]);
  const details = await o.users.roles.retrieve(role.id, { user_id: user });
  assertAssignedRole(details);
  assert.deepEqual([details.id, details.name, details.permissions, details.description, details.predefined_role],
    [role.id, 'Invite Managers', ['api.invites.read', 'api.invites.write'], 'Invites', false]);
  assert.equal(typeof details.created_at, 'number');
  assert.deepEqual(sources(details), [`user:${user}`]);

  assert.deepEqual(await o.users.roles.delete(role.id, { user_id: user }), { object: 'user.role.deleted', deleted: true });
  assert.deepEqual(await ids(o.users.roles.list(user)), [server.reader]);
  await notFound(() => o.users.roles.retrieve(role.id, { user_id: user }), 'role', 'role_id', role.id);
  await notFound(() => o.users.roles.delete(role.id, { user_id: user }), 'role', 'role_id', role.id);
  await notFound(() => o.users.roles.retrieve(server.owner, { user_id: user }), 'role', 'role_id', server.owner);
  assert.deepEqual(await ids(o.users.roles.list(uid(11))), [server.reader]);

  const many = [];
  for (let i = 0; i < 11; i++) many.push((await makeRole(`Scope ${i}`, ['api.usage.read'])).id);
  for (const id of many) await o.users.roles.create(user, { role_id: id });
  server.requests = 0;
  const walked = await ids(o.users.roles.list(user, { limit: 4 }));
  assert.deepEqual([...walked].sort(), [server.reader, ...many].sort());
  assert.equal(server.requests, 3);
});

test('assigning a predefined role switches the user role; the last owner stays', async () => {
  const o = org();
  const user = uid(12);
  const promoted = await o.users.roles.create(user, { role_id: server.owner });
  assert.deepEqual([promoted.user.role, promoted.role.id, promoted.role.name], ['owner', server.owner, 'owner']);
  assert.equal((await o.users.retrieve(user)).role, 'owner');
  assert.deepEqual(await ids(o.users.roles.list(user)), [server.owner]);
  await conflict(() => o.users.roles.delete(server.owner, { user_id: user }), ['role_id', null]);
  const demoted = await o.users.roles.create(user, { role_id: server.reader });
  assert.equal(demoted.user.role, 'reader');
  assert.equal((await o.users.retrieve(user)).role, 'reader');
  await conflict(() => o.users.roles.delete(server.reader, { user_id: user }), ['role_id', null]);

  assert.equal((await o.users.roles.create(uid(0), { role_id: server.reader })).user.role, 'reader');
  await expectError(() => o.users.roles.create(uid(1), { role_id: server.reader }), OpenAI.BadRequestError, 400,
    [null, 'role', 'role_id'], null, LAST_OWNER);
  assert.equal((await o.users.retrieve(uid(1))).role, 'owner');
  assert.deepEqual(await ids(o.users.roles.list(uid(1))), [server.owner]);
  await o.users.roles.create(uid(2), { role_id: server.owner });
  assert.equal((await o.users.roles.create(uid(1), { role_id: server.reader })).user.role, 'reader');
});

test("a user's roles: errors", async () => {
  const o = org();
  const role = await makeRole('Readers of users', ['api.users.read']);
  for (const call of [() => o.users.roles.list('user-nobody'), () => o.users.roles.create('user-nobody', { role_id: role.id }),
    () => o.users.roles.retrieve(role.id, { user_id: 'user-nobody' }), () => o.users.roles.delete(role.id, { user_id: 'user-nobody' })]) {
    await notFound(call, 'user', 'user_id', 'user-nobody');
  }
  await notFound(() => o.users.roles.retrieve('role_nope', { user_id: uid(4) }), 'role', 'role_id', 'role_nope');
  await expectError(() => o.users.roles.create(uid(4), { role_id: 'role_nope' }), [OpenAI.NotFoundError, OpenAI.BadRequestError],
    [404, 400], 'role_id', [null, 'invalid_value']);
  await expectError(() => raw('post', `/organization/users/${uid(4)}/roles`, {}), OpenAI.BadRequestError, 400, 'role_id',
    'missing_required_parameter', "Missing required parameter: 'role_id'.");
  await o.users.roles.create(uid(5), { role_id: role.id });
  await o.users.delete(uid(5));
  await notFound(() => o.users.roles.list(uid(5)), 'user', 'user_id', uid(5));
  await o.users.roles.create(uid(6), { role_id: role.id });
  await o.roles.delete(role.id);
  assert.ok(!(await ids(o.users.roles.list(uid(6)))).includes(role.id));
});

test('groups: create, retrieve, list, update, delete, errors', async () => {
  const groups = org().groups;
  const group = await groups.create({ name: 'Support Team' });
  assert.deepEqual(Object.keys(group).sort(), ['created_at', 'group_type', 'id', 'is_scim_managed', 'name']);
  assert.match(group.id, GROUP_ID);
  assert.deepEqual([group.name, group.is_scim_managed, group.group_type], ['Support Team', false, 'group']);
  assert.ok(Number.isInteger(group.created_at) && group.created_at > 1_600_000_000);
  assert.deepEqual(await groups.retrieve(group.id), group);
  const page = await groups.list();
  assert.ok(page instanceof NextCursorPage);
  assert.deepEqual([page.data, page.has_more, page.next], [[group], false, null]);

  const renamed = await groups.update(group.id, { name: 'Escalations' });
  assert.deepEqual(renamed, { id: group.id, name: 'Escalations', created_at: group.created_at, is_scim_managed: false });
  const longest = 'é'.repeat(255);
  assert.equal((await groups.update(group.id, { name: longest })).name, longest);
  const twin = await groups.create({ name: longest });
  assert.notEqual(twin.id, group.id);

  const bad = OpenAI.BadRequestError;
  const lengthCodes = [null, 'invalid_value', 'string_below_min_length', 'string_above_max_length'];
  await expectError(() => groups.create({ name: '' }), bad, 400, 'name', lengthCodes);
  await expectError(() => groups.create({ name: 'x'.repeat(256) }), bad, 400, 'name', lengthCodes);
  await expectError(() => groups.update(group.id, { name: 'é'.repeat(256) }), bad, 400, 'name', lengthCodes);
  await expectError(() => raw('post', '/organization/groups', {}), bad, 400, 'name', 'missing_required_parameter',
    "Missing required parameter: 'name'.");
  await expectError(() => raw('post', '/organization/groups', { name: 7 }), bad, 400, 'name', 'invalid_type');
  await expectError(() => groups.create({ name: 'x', is_scim_managed: true }), bad, 400, 'is_scim_managed', null,
    'Unrecognized request argument supplied: is_scim_managed');

  assert.deepEqual(await groups.delete(group.id), { object: 'group.deleted', id: group.id, deleted: true });
  for (const call of [() => groups.retrieve(group.id), () => groups.update(group.id, { name: 'x' }), () => groups.delete(group.id)]) {
    await notFound(call, 'group', 'group_id', group.id);
  }
  assert.deepEqual(await ids(groups.list()), [twin.id]);
});

test('groups: auto-pagination visits each group once (25 groups, limit 7)', async () => {
  const groups = org().groups;
  const made = [];
  for (let i = 0; i < 25; i++) made.push(await groups.create({ name: `Team ${String(i).padStart(2, '0')}` }));
  // Oldest first by creation time (seconds), ties by id.
  const created = made.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1)).map((g) => g.id);
  server.requests = 0;
  const walked = await ids(groups.list({ limit: 7 }));
  assert.deepEqual(walked, created);
  assert.equal(new Set(walked).size, 25);
  assert.equal(server.requests, 4); // 7 + 7 + 7 + 4
  server.requests = 0;
  assert.deepEqual(await ids(groups.list()), created);
  assert.equal(server.requests, 1); // the default limit is 100
  assert.deepEqual(await ids(groups.list({ limit: 7, order: 'desc' })), [...created].reverse());
  const first = await groups.list({ limit: 7 });
  assert.deepEqual((await first.getNextPage()).data.map((g) => g.id), created.slice(7, 14));
  assert.deepEqual((await groups.list({ limit: 7, after: first.next })).data.map((g) => g.id), created.slice(7, 14));
});

test("a group's users: add, add again, list (desc by default), page, retrieve, remove", async () => {
  const o = org();
  const group = await o.groups.create({ name: 'Readers' });
  const members = Array.from({ length: 12 }, (_, i) => uid(20 + i));
  for (const user of members) {
    assert.deepEqual(await o.groups.users.create(group.id, { user_id: user }), { object: 'group.user', user_id: user, group_id: group.id });
  }
  assert.deepEqual(await o.groups.users.create(group.id, { user_id: members[0] }), { object: 'group.user', user_id: members[0], group_id: group.id });
  const page = await o.groups.users.list(group.id);
  assert.ok(page instanceof NextCursorPage);
  assert.deepEqual(page.data.map((u) => u.id), [...members].reverse());
  const one = await o.users.retrieve(members[0]);
  const listed = page.data.find((u) => u.id === members[0]);
  assert.deepEqual([listed.name, listed.email], [one.name, one.email]);
  assert.deepEqual(await ids(o.groups.users.list(group.id, { order: 'asc' })), members);
  server.requests = 0;
  assert.deepEqual(await ids(o.groups.users.list(group.id, { limit: 5 })), [...members].reverse());
  assert.equal(server.requests, 3);

  const member = await o.groups.users.retrieve(members[0], { group_id: group.id });
  assert.deepEqual([member.id, member.name, member.email, member.user_type], [one.id, one.name, one.email, 'user']);
  assert.ok('picture' in member && [false, null].includes(member.is_service_account));
  assert.deepEqual(await o.groups.users.delete(members[0], { group_id: group.id }), { object: 'group.user.deleted', deleted: true });
  await notFound(() => o.groups.users.retrieve(members[0], { group_id: group.id }), 'user', 'user_id', members[0]);
  await notFound(() => o.groups.users.delete(members[0], { group_id: group.id }), 'user', 'user_id', members[0]);
  await o.users.delete(members[1]);
  const left = await ids(o.groups.users.list(group.id));
  assert.ok(!left.includes(members[0]) && !left.includes(members[1]) && left.length === 10);

  for (const call of [() => o.groups.users.list('group_nope'), () => o.groups.users.create('group_nope', { user_id: uid(3) }),
    () => o.groups.users.retrieve(uid(3), { group_id: 'group_nope' }), () => o.groups.users.delete(uid(3), { group_id: 'group_nope' })]) {
    await notFound(call, 'group', 'group_id', 'group_nope');
  }
  // Only organization users can be added: a 400 naming user_id (the code is the server's choice;
  // orgusers answers invalid_value, as for an unknown role_id on users).
  for (const user of ['user-nobody', members[1], group.id]) {
    await expectError(() => o.groups.users.create(group.id, { user_id: user }), OpenAI.BadRequestError, 400, 'user_id',
      [null, 'invalid_value']);
  }
  await expectError(() => raw('post', `/organization/groups/${group.id}/users`, {}), OpenAI.BadRequestError, 400, 'user_id',
    'missing_required_parameter', "Missing required parameter: 'user_id'.");
});

test("a group's roles: custom only; held by members through the group", async () => {
  const o = org();
  const user = uid(15);
  const group = await o.groups.create({ name: 'Auditors' });
  const role = await makeRole('Audit Readers', ['api.audit_logs.read'], { description: 'Audit' });
  const assigned = await o.groups.roles.create(group.id, { role_id: role.id });
  assert.equal(assigned.object, 'group.role');
  assert.deepEqual(assigned.group, { object: 'group', id: group.id, name: 'Auditors', created_at: group.created_at, scim_managed: false });
  assert.deepEqual(assigned.role, role);
  assert.deepEqual(await o.groups.roles.create(group.id, { role_id: role.id }), assigned);
  const page = await o.groups.roles.list(group.id);
  assert.ok(page instanceof NextCursorPage);
  assert.deepEqual(page.data.map((r) => r.id), [role.id]);
  assertAssignedRole(page.data[0]);
  const details = await o.groups.roles.retrieve(role.id, { group_id: group.id });
  assertAssignedRole(details);
  assert.deepEqual([details.id, details.permissions, details.description], [role.id, ['api.audit_logs.read'], 'Audit']);
  for (const predefined of [server.owner, server.reader]) {
    await conflict(() => o.groups.roles.create(group.id, { role_id: predefined }), 'role_id');
  }
  await expectError(() => o.groups.roles.create(group.id, { role_id: 'role_nope' }), [OpenAI.NotFoundError, OpenAI.BadRequestError],
    [404, 400], 'role_id', [null, 'invalid_value']);
  for (const call of [() => o.groups.roles.list('group_nope'), () => o.groups.roles.create('group_nope', { role_id: role.id }),
    () => o.groups.roles.retrieve(role.id, { group_id: 'group_nope' }), () => o.groups.roles.delete(role.id, { group_id: 'group_nope' })]) {
    await notFound(call, 'group', 'group_id', 'group_nope');
  }

  await o.groups.users.create(group.id, { user_id: user });
  const held = await o.users.roles.retrieve(role.id, { user_id: user });
  assert.deepEqual(sources(held), [`group:${group.id}`]);
  await conflict(() => o.users.roles.delete(role.id, { user_id: user }), ['role_id', null]);
  await o.users.roles.create(user, { role_id: role.id });
  assert.deepEqual(sources(await o.users.roles.retrieve(role.id, { user_id: user })), [`group:${group.id}`, `user:${user}`].sort());
  await o.users.roles.delete(role.id, { user_id: user });
  assert.deepEqual(sources(await o.users.roles.retrieve(role.id, { user_id: user })), [`group:${group.id}`]);

  assert.deepEqual(await o.groups.roles.delete(role.id, { group_id: group.id }), { object: 'group.role.deleted', deleted: true });
  await notFound(() => o.groups.roles.retrieve(role.id, { group_id: group.id }), 'role', 'role_id', role.id);
  assert.deepEqual(await ids(o.users.roles.list(user)), [server.reader]);
  // Deleting the group ends its memberships and assignments.
  await o.groups.roles.create(group.id, { role_id: role.id });
  assert.ok((await ids(o.users.roles.list(user))).includes(role.id));
  await o.groups.delete(group.id);
  assert.deepEqual(await ids(o.users.roles.list(user)), [server.reader]);
  await notFound(() => o.groups.users.list(group.id), 'group', 'group_id', group.id);
  await notFound(() => o.groups.roles.list(group.id), 'group', 'group_id', group.id);

  const many = [];
  const second = await o.groups.create({ name: 'Second' });
  for (let i = 0; i < 9; i++) many.push((await makeRole(`Bundle ${i}`, ['api.projects.read'])).id);
  for (const id of many) await o.groups.roles.create(second.id, { role_id: id });
  server.requests = 0;
  assert.deepEqual([...(await ids(o.groups.roles.list(second.id, { limit: 4 })))].sort(), [...many].sort());
  assert.equal(server.requests, 3);
  await o.roles.delete(many[0]);
  assert.ok(!(await ids(o.groups.roles.list(second.id))).includes(many[0]));
});

test("another organization's roles, groups and users are unknown ids", async () => {
  const ours = org();
  const role = await makeRole('Ours');
  const group = await ours.groups.create({ name: 'Ours' });
  await ours.groups.users.create(group.id, { user_id: uid(1) });
  const made = execFileSync(BIN, ['keys', 'create', '--database', server.database, '--org', 'other'],
    { env: { ...process.env, ORGUSERS_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'ignore'] });
  const theirs = server.client(made.toString().trim().split('\n').at(-1)).admin.organization;
  const theirRoles = await collect(theirs.roles.list());
  assert.deepEqual(theirRoles.map((r) => r.name), ['owner', 'reader']);
  assert.ok(theirRoles.every((r) => ![server.owner, server.reader, role.id].includes(r.id)));
  assert.deepEqual(await ids(theirs.groups.list()), []);
  for (const id of [role.id, server.owner]) await notFound(() => theirs.roles.retrieve(id), 'role', 'role_id', id);
  await notFound(() => theirs.groups.retrieve(group.id), 'group', 'group_id', group.id);
  await notFound(() => theirs.groups.users.list(group.id), 'group', 'group_id', group.id);
  await notFound(() => theirs.users.roles.list(uid(1)), 'user', 'user_id', uid(1));
  const theirGroup = await theirs.groups.create({ name: 'Theirs' });
  await expectError(() => theirs.groups.users.create(theirGroup.id, { user_id: uid(1) }), OpenAI.BadRequestError, 400,
    'user_id', [null, 'invalid_value']);
  await expectError(() => theirs.groups.roles.create(theirGroup.id, { role_id: role.id }),
    [OpenAI.NotFoundError, OpenAI.BadRequestError], [404, 400], 'role_id', [null, 'invalid_value']);
  await notFound(() => ours.groups.retrieve(theirGroup.id), 'group', 'group_id', theirGroup.id);
  assert.deepEqual(await ids(ours.groups.list()), [group.id]);
  assert.deepEqual(await ids(ours.groups.users.list(group.id)), [uid(1)]);
});
