// The official openai npm package against orgusers' audit log:
// client.admin.organization.auditLogs.list with its ConversationCursorPage (auto-pagination over
// `after`), the filters as the SDK encodes them (event_types[], effective_at[gte], resource_ids[],
// actor_ids[]), the acting key as actor, the organization's clock as effective_at (frozen through
// orgusers' control endpoint with fetch), and a refusal as the SDK's error class.
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
const KEY = 'sk-admin-node-audit-key-000000000000WXYZ';
const FROZEN = 4_000_000_000;

let server;

async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'orgusers-node-'));
  const database = `sqlite://${join(dir, 'orgusers.db')}`;
  const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--database', database, '--admin-key', KEY], {
    env: { ...process.env, ORGUSERS_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'ignore'],
  });
  const out = createInterface({ input: child.stdout });
  const first = await new Promise((ok) => out.once('line', ok));
  assert.match(first, /^listening on http:\/\/127\.0\.0\.1:\d+$/);
  const root = first.replace('listening on ', '');
  return { child, dir, root, client: new OpenAI({ adminAPIKey: KEY, baseURL: `${root}/v1` }) };
}

beforeEach(async () => { server = await startServer(); });
afterEach(() => { server.child.kill('SIGKILL'); rmSync(server.dir, { recursive: true, force: true }); });

const org = () => server.client.admin.organization;
const collect = async (pages) => { const out = []; for await (const item of pages) out.push(item); return out; };

async function control(path, body) {
  const answer = await fetch(`${server.root}/_orgusers/${path}`, {
    method: 'POST', headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(answer.status, 200, await answer.text());
}

// Three changes at known moments: a project created and renamed, a group created.
async function history() {
  await control('clock', { now: FROZEN });
  const project = await org().projects.create({ name: 'Apollo' });
  await control('clock', { advance_seconds: 10 });
  await org().projects.update(project.id, { name: 'Artemis' });
  await control('clock', { advance_seconds: 10 });
  const group = await org().groups.create({ name: 'Crew' });
  return { project, group };
}

test('entries come newest first, with their payloads, times and acting key', async () => {
  const { project, group } = await history();
  const ourKey = (await collect(org().adminAPIKeys.list())).find((k) => k.redacted_value.endsWith('WXYZ'));
  assert.ok(ourKey, 'the server key is listed');
  const entries = await collect(org().auditLogs.list());
  assert.deepEqual(entries.map((e) => e.type), ['group.created', 'project.updated', 'project.created']);
  assert.deepEqual(entries.map((e) => e.effective_at), [FROZEN + 20, FROZEN + 10, FROZEN]);
  assert.match(entries[0].id, /^audit_log-[A-Za-z0-9]{24}$/);
  assert.equal(entries[0]['group.created'].id, group.id);
  assert.equal(entries[2]['project.created'].id, project.id);
  assert.equal(entries[2].project.id, project.id);
  for (const entry of entries) {
    assert.equal(entry.actor.type, 'api_key');
    assert.equal(entry.actor.api_key.id, ourKey.id);
  }
});

test('auto-pagination walks every page, and the filters combine', async () => {
  const { project } = await history();
  const all = await collect(org().auditLogs.list({ limit: 1 }));
  assert.equal(all.length, 3);
  const projects = await collect(org().auditLogs.list({ event_types: ['project.created', 'project.updated'] }));
  assert.deepEqual(projects.map((e) => e.type), ['project.updated', 'project.created']);
  const later = await collect(org().auditLogs.list({ effective_at: { gte: FROZEN + 10 } }));
  assert.deepEqual(later.map((e) => e.type), ['group.created', 'project.updated']);
  const both = await collect(org().auditLogs.list({
    resource_ids: [project.id], effective_at: { gte: FROZEN + 10 },
  }));
  assert.deepEqual(both.map((e) => e.type), ['project.updated']);
  const nobody = await collect(org().auditLogs.list({ actor_ids: ['key_nobodyatall0000000000000'] }));
  assert.deepEqual(nobody, []);
});

test('an unknown event type is a BadRequestError naming event_types', async () => {
  let error;
  try { await org().auditLogs.list({ event_types: ['user.teleported'] }); } catch (e) { error = e; }
  assert.ok(error instanceof OpenAI.BadRequestError, `got ${error?.constructor?.name}`);
  assert.equal(error.status, 400);
  assert.equal(error.param, 'event_types');
});
