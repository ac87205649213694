import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { type EventInput, type JobName, parsePayload, queueOf } from '../../src/contracts';
import { createLogger } from '../../src/logger';
import { createTopologyMetrics } from '../../src/metrics/topologies';
import { HandlerRegistry } from '../../src/queues/handlers';
import { type ProcessResult, processEvent } from '../../src/queues/process-event';
import { checkFacts } from '../../src/rules/facts/catalog';
import { loadRequesters } from '../../src/rules/facts/requesters';
import { RuleSetStore } from '../../src/rules/store';
import { createTopologyHandlers, derivedEventId } from '../../src/topologies/handlers';
import { loadTopologyFacts } from '../../src/topologies/load';
import { parseTopology } from '../../src/topologies/parse';
import { loadOwners, topologyRuleFacts } from '../../src/topologies/policies';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { registryOf } from '../support/events';
import { SHIPPED_RULES_DIR, snapshotOf } from '../support/rules';
import { copyShippedRules, type TempRules } from '../support/tmp-rules';
import { at, Lab, NOW, node } from './lab';

const STAMP = '2026-01-01T00:00:00Z';
const logger = createLogger('silent');

/** Delivers an event with a chosen eventId (a redelivery reuses it). */
function deliverAs<N extends JobName>(
  db: TestDatabase,
  handlers: HandlerRegistry,
  jobName: N,
  eventId: string,
  input: EventInput<N>,
): Promise<ProcessResult> {
  const payload = parsePayload(jobName, { eventId, occurredAt: NOW.toISOString(), ...input });
  return processEvent(
    { knex: db.knex, handlers, logger },
    { jobName, payload, queue: queueOf(jobName), jobId: eventId, attempt: 1 },
  );
}

const followUpIds = (result: ProcessResult) =>
  result.followUps.map((f) => [f.name, f.payload.topologyId, f.payload.eventId]);

const policyPolicy = (rules: unknown[]) => ({
  policy: 'test-topologies',
  appliesTo: 'topology',
  description: 'test policy',
  rules,
});

describe('topologies/policies: appliesTo topology policies in the review', () => {
  let db: TestDatabase;
  let lab: Lab;
  let shipped: RuleSetStore;

  const own = async (deviceId: number, ownerId: number) => {
    await db.knex('device_ownership').insert({
      device_id: deviceId,
      owner_id: ownerId,
      assigned_by: null,
      assigned_at: STAMP,
      revoked_at: null,
    });
  };
  const role = async (userId: number, name: string, limits: unknown, status = 'active') => {
    await db.knex('admin_roles').insert({
      user_id: userId,
      role: name,
      status,
      permissions: null,
      approval_limits: limits === null ? null : JSON.stringify(limits),
      created_at: STAMP,
      updated_at: STAMP,
    });
  };
  const category = (type: string, name: string) =>
    db.knex('device_types').where({ name: type }).update({ category: name });

  before(async () => {
    db = await migratedDatabase();
    lab = new Lab(db.knex);
    shipped = await RuleSetStore.open({ dir: SHIPPED_RULES_DIR, watch: false });
  });
  after(async () => {
    await shipped?.close();
    await db?.drop();
  });

  it('builds the topology and requester facts from the database, valid against the fact catalog', async () => {
    const author = await lab.user('author');
    const other = await lab.user('other');
    await role(author, 'Operator', { max_hours: 8, max_devices: 3 });
    const amp1 = await lab.device({ type: 'EDFA' });
    const amp2 = await lab.device({ type: 'EDFA' });
    const trx = await lab.device({ type: 'QSFP28' });
    const panel = await lab.device({ type: 'patch panel' });
    await category('EDFA', 'amplifier');
    await category('QSFP28', 'transceiver');
    await own(panel.id, other);
    await own(trx.id, author);
    await own(amp2.id, other);
    await db.knex('device_ownership').where({ device_id: amp2.id }).update({ revoked_at: STAMP });
    const nodes = [
      node('a', amp1.id),
      node('a2', { polatisName: amp1.polatisName }),
      node('b', amp2.id),
      node('t', trx.id),
      node('p', panel.id),
      node('x', 999_999),
    ];
    const id = await lab.topology(author, nodes, []);
    const graph = parseTopology({ nodes, edges: [] });

    const { facts } = await loadTopologyFacts(
      db.knex,
      { topologyId: id, requesterId: author, graph },
      { now: NOW },
    );
    const { requesters } = await loadRequesters(db.knex, [author]);
    const ruleFacts = topologyRuleFacts({
      topologyId: id,
      name: 'lab-topology',
      graph,
      facts,
      requester: requesters.get(author)!,
      ownersByDevice: await loadOwners(db.knex, [...facts.devices.keys()]),
    });
    assert.deepEqual(ruleFacts, {
      topology: {
        id,
        name: 'lab-topology',
        nodeCount: 6,
        edgeCount: 0,
        deviceCount: 4,
        deviceIds: [amp1.id, amp2.id, trx.id, panel.id],
        unknownNodeCount: 1,
        categories: ['amplifier', 'optical', 'transceiver'],
        categoryCounts: { amplifier: 2, optical: 1, transceiver: 1 },
        deviceTypes: ['EDFA', 'QSFP28', 'patch panel'],
        unschedulableCount: 1,
        ownedByAnotherCount: 1,
        ownedByAnotherIds: [panel.id],
      },
      requester: {
        id: author,
        username: (await db.knex('user_table').where({ id: author }).first('username')).username,
        role: 'Operator',
        isAdmin: false,
        approvalLimits: { maxHours: 8, maxDevices: 3 },
      },
    });
    assert.deepEqual(checkFacts('topology', ruleFacts), { ok: true });
  });

  it("takes a requester's approval limits from their role when their own row sets none, and ignores an inactive role", async () => {
    const holder = await lab.user('holder');
    const peer = await lab.user('peer');
    const former = await lab.user('former');
    await role(holder, 'Technician', null);
    await role(peer, 'Technician', { maxDevices: 2, maxHours: 4 });
    await role(former, 'Technician', { maxDevices: 9 }, 'revoked');
    const { requesters } = await loadRequesters(db.knex, [holder, former]);
    assert.deepEqual(requesters.get(holder)?.approvalLimits, { maxHours: 4, maxDevices: 2 });
    assert.equal(requesters.get(holder)?.role, 'Technician');
    assert.equal(requesters.get(former)?.role, 'user');
    assert.equal(requesters.get(former)?.approvalLimits, null);
  });

  it("records each fired shipped rule as a 'policy' finding: devices owned by others need the owners (needs_approval)", async () => {
    const author = await lab.user('author');
    const owner = await lab.user('owner');
    const mine = await lab.device();
    const theirs = await lab.device();
    await own(theirs.id, owner);
    await lab.booking({ deviceId: mine.id, userId: author, from: at(20), to: at(24) });
    await lab.booking({ deviceId: theirs.id, userId: author, from: at(20), to: at(24) });
    const id = await lab.topology(author, [node('a', mine.id), node('b', theirs.id)], []);
    const handlers = registryOf(createTopologyHandlers({ now: () => NOW, rules: shipped }));

    const result = await deliverAs(db, handlers, 'topology.submitted', randomUUID(), { topologyId: id });
    assert.equal(result.outcome, 'completed');
    const review = await lab.review(id);
    assert.equal(review.status, 'needs_approval');
    assert.equal(review.conflict_count, 0);
    const [finding, ...rest] = await lab.findings(id);
    assert.deepEqual(rest, []);
    assert.equal(finding?.kind, 'policy');
    assert.equal(finding?.severity, 'warning');
    assert.match(
      finding?.message ?? '',
      new RegExp(`uses 1 device\\(s\\) owned by other users \\(${theirs.id}\\)`),
    );
    assert.deepEqual(
      { ...finding?.detail, values: undefined },
      {
        policy: 'topology-limits',
        rule: 'devices-owned-by-others',
        code: 'TOPOLOGY_OWNED_DEVICES',
        type: 'require_approval',
        approver: 'device-owner',
        revision: shipped.revision,
        values: undefined,
      },
    );
    assert.match(
      review.notes,
      /^Needs approval \(1 warning\): Topology topology-\d+ uses 1 device\(s\) owned/,
    );

    // The owner's own topology of the same device needs nobody's agreement.
    await lab.booking({ deviceId: theirs.id, userId: owner, from: at(40), to: at(44) });
    const owned = await lab.topology(owner, [node('b', theirs.id)], []);
    await deliverAs(db, handlers, 'topology.submitted', randomUUID(), { topologyId: owned });
    assert.equal((await lab.review(owned)).status, 'approved');
  });

  it('needs an Operator beyond the author’s own device limit (admin_roles), and not for an administrator', async () => {
    const author = await lab.user('limited');
    await role(author, 'Engineer', { max_devices: 1 });
    const a = await lab.device();
    const b = await lab.device();
    const handlers = registryOf(createTopologyHandlers({ now: () => NOW, rules: shipped }));
    const id = await lab.topology(author, [node('a', a.id), node('b', b.id)], []);
    await deliverAs(db, handlers, 'topology.submitted', randomUUID(), { topologyId: id });
    const codes = (await lab.findings(id)).filter((f) => f.kind === 'policy').map((f) => f.detail.code);
    assert.deepEqual(codes, ['TOPOLOGY_BEYOND_OWN_LIMIT']);
    assert.equal((await lab.review(id)).status, 'needs_approval');

    await db.knex('user_table').where({ id: author }).update({ is_admin: true });
    await deliverAs(db, handlers, 'topology.recheck', randomUUID(), { topologyId: id });
    assert.deepEqual(
      (await lab.findings(id)).filter((f) => f.kind === 'policy'),
      [],
      'an administrator approves their own',
    );
  });

  it('turns deny into an error (conflict_count, conflicts) and flag into a note that leaves the topology approved', async () => {
    const rules = snapshotOf(
      policyPolicy([
        {
          name: 'one-device-only',
          description: 'deny more than one device',
          conditions: { all: [{ fact: 'topology', path: 'deviceCount', operator: 'greaterThan', value: 1 }] },
          event: {
            type: 'deny',
            params: { code: 'ONE_DEVICE', message: '{{topology.deviceCount}} devices' },
          },
        },
        {
          name: 'note-devices',
          description: 'flag any device',
          conditions: { all: [{ fact: 'topology', path: 'deviceCount', operator: 'greaterThan', value: 0 }] },
          event: { type: 'flag', params: { code: 'HAS_DEVICES', message: 'has {{topology.deviceIds}}' } },
        },
      ]),
    );
    const handlers = registryOf(createTopologyHandlers({ now: () => NOW, rules: () => rules }));
    const author = await lab.user('author');
    const a = await lab.device();
    const b = await lab.device();
    await lab.booking({ deviceId: a.id, userId: author, from: at(2), to: at(4) });
    await lab.booking({ deviceId: b.id, userId: author, from: at(2), to: at(4) });

    const single = await lab.topology(author, [node('a', a.id)], []);
    await deliverAs(db, handlers, 'topology.submitted', randomUUID(), { topologyId: single });
    assert.equal((await lab.review(single)).status, 'approved');
    assert.deepEqual(await lab.kinds(single), ['policy:info']);
    assert.equal((await lab.findings(single))[0]?.message, `has ${a.id}`);

    const pair = await lab.topology(author, [node('a', a.id), node('b', b.id)], []);
    await deliverAs(db, handlers, 'topology.submitted', randomUUID(), { topologyId: pair });
    const review = await lab.review(pair);
    assert.equal(review.status, 'conflicts');
    assert.equal(review.conflict_count, 1);
    assert.deepEqual(await lab.kinds(pair), ['policy:error', 'policy:info']);
    assert.match(review.notes, /^Conflicts \(1 error, 1 note\): 2 devices\.$/);
  });

  describe('re-checks', () => {
    let temp: TempRules;
    let store: RuleSetStore;

    before(async () => {
      temp = await copyShippedRules();
      store = await RuleSetStore.open({ dir: temp.dir, watch: false });
    });
    after(async () => {
      await store?.close();
      await temp?.remove();
    });

    it('rules.changed re-checks every open review once, with the new revision; resolved reviews are left alone', async () => {
      const handlers = registryOf(createTopologyHandlers({ now: () => NOW, rules: store }));
      await db.knex('topology_review').update({ resolved_at: STAMP });
      const author = await lab.user('author');
      const admin = await lab.user('admin');
      const d = await lab.device();
      await lab.booking({ deviceId: d.id, userId: author, from: at(2), to: at(4) });
      const open1 = await lab.topology(author, [node('a', d.id)], []);
      const resolved = await lab.topology(author, [node('a', d.id)], []);
      const open2 = await lab.topology(
        author,
        [node('a', d.id), node('b', { polatisName: d.polatisName })],
        [],
      );
      for (const topologyId of [open1, resolved, open2]) {
        await deliverAs(db, handlers, 'topology.submitted', randomUUID(), { topologyId });
      }
      await db
        .knex('topology_review')
        .where({ topology_id: resolved })
        .update({ status: 'approved', resolved_at: '2026-11-24T10:00:00Z', resolved_by: admin });
      assert.equal((await lab.review(open1)).status, 'approved');

      const before = store.revision;
      await temp.write(
        'no-topologies.json',
        JSON.stringify(
          policyPolicy([
            {
              name: 'closed',
              description: 'no topologies this week',
              conditions: {
                all: [{ fact: 'topology', path: 'nodeCount', operator: 'greaterThan', value: 0 }],
              },
              event: { type: 'deny', params: { code: 'CLOSED', message: 'topologies are closed' } },
            },
          ]),
        ),
      );
      const reload = await store.reload('test');
      assert.ok(reload.ok && reload.changed);

      const eventId = randomUUID();
      const changed = await deliverAs(db, handlers, 'rules.changed', eventId, {
        revision: store.revision,
        previousRevision: before,
      });
      assert.deepEqual(followUpIds(changed), [
        ['topology.recheck', open1, derivedEventId(eventId, `topology.recheck:${open1}`)],
        ['topology.recheck', open2, derivedEventId(eventId, `topology.recheck:${open2}`)],
      ]);
      // Redelivered: nothing runs again, the same rechecks are sent again.
      const again = await deliverAs(db, handlers, 'rules.changed', eventId, {
        revision: store.revision,
        previousRevision: before,
      });
      assert.equal(again.outcome, 'duplicate');
      assert.deepEqual(followUpIds(again), followUpIds(changed));

      for (const followUp of changed.followUps) {
        const { eventId: id, topologyId } = followUp.payload as { eventId: string; topologyId: number };
        assert.equal(
          (await deliverAs(db, handlers, 'topology.recheck', id, { topologyId })).outcome,
          'completed',
        );
        assert.equal(
          (await deliverAs(db, handlers, 'topology.recheck', id, { topologyId })).outcome,
          'duplicate',
        );
      }
      for (const topologyId of [open1, open2]) {
        const review = await lab.review(topologyId);
        assert.equal(review.status, 'conflicts');
        const policy = (await lab.findings(topologyId)).find((f) => f.detail.code === 'CLOSED');
        assert.equal(policy?.detail.revision, store.revision);
        const audits = await db
          .knex('admin_audit_log')
          .where({ entity_id: String(review.id) })
          .count<{ count: string }[]>('* as count');
        assert.equal(
          Number(audits[0]?.count),
          2,
          'submitted, then one recheck: the redelivery reviewed nothing',
        );
      }
      assert.equal((await lab.review(resolved)).status, 'approved');

      const same = await deliverAs(db, handlers, 'rules.changed', randomUUID(), {
        revision: store.revision,
        previousRevision: store.revision,
      });
      assert.deepEqual(same.followUps, []);
    });

    it('a device event rechecks each topology using the device once, however many nodes place it, with derived eventIds', async () => {
      const handlers = registryOf(createTopologyHandlers({ now: () => NOW, rules: store }));
      const author = await lab.user('author');
      const d = await lab.device();
      const many = await lab.topology(
        author,
        [node('a', d.id), node('b', d.id), node('c', { polatisName: d.polatisName.toLowerCase() })],
        [],
      );
      const one = await lab.topology(author, [node('a', d.id)], []);
      for (const topologyId of [many, one]) {
        await deliverAs(db, handlers, 'topology.submitted', randomUUID(), { topologyId });
      }
      const eventId = randomUUID();
      const input = { deviceId: d.id, previous: { status: 'available' } };
      const first = await deliverAs(db, handlers, 'device.status_changed', eventId, input);
      assert.deepEqual(followUpIds(first), [
        ['topology.recheck', many, derivedEventId(eventId, `topology.recheck:${many}`)],
        ['topology.recheck', one, derivedEventId(eventId, `topology.recheck:${one}`)],
      ]);
      const redelivered = await deliverAs(db, handlers, 'device.status_changed', eventId, input);
      assert.equal(redelivered.outcome, 'duplicate');
      assert.deepEqual(followUpIds(redelivered), followUpIds(first));
    });
  });

  it('an ownership change rechecks the topologies using the device, and the policies see the new owner', async () => {
    const handlers = registryOf(createTopologyHandlers({ now: () => NOW, rules: shipped }));
    const author = await lab.user('author');
    const owner = await lab.user('owner');
    const d = await lab.device();
    await lab.booking({ deviceId: d.id, userId: author, from: at(2), to: at(4) });
    const id = await lab.topology(author, [node('a', d.id)], []);
    await deliverAs(db, handlers, 'topology.submitted', randomUUID(), { topologyId: id });
    assert.equal((await lab.review(id)).status, 'approved');

    const [row] = await db
      .knex('device_ownership')
      .insert({ device_id: d.id, owner_id: owner, assigned_by: null, assigned_at: STAMP, revoked_at: null })
      .returning('id');
    const changed = await deliverAs(db, handlers, 'device.ownership_changed', randomUUID(), {
      deviceId: d.id,
      ownershipId: (row as { id: number }).id,
      ownerId: owner,
      change: 'assigned',
    });
    assert.deepEqual(
      changed.followUps.map((f) => [f.name, f.payload.topologyId]),
      [['topology.recheck', id]],
    );
    const recheck = changed.followUps[0]!.payload as { eventId: string; topologyId: number };
    await deliverAs(db, handlers, 'topology.recheck', recheck.eventId, { topologyId: id });
    assert.equal((await lab.review(id)).status, 'needs_approval');
    assert.deepEqual(
      (await lab.findings(id)).map((f) => f.detail.code),
      ['TOPOLOGY_OWNED_DEVICES'],
    );
  });

  describe('metrics', () => {
    it('counts reviews by status and findings by kind once the review commits, and nothing for a rolled-back one', async () => {
      const registry = new Registry();
      const metrics = createTopologyMetrics(registry);
      const module = createTopologyHandlers({ now: () => NOW, rules: () => snapshotOf(), metrics });
      const handlers = registryOf(module);
      const author = await lab.user('author');
      const id = await lab.topology(author, [node('a', 999_998), node('b', 999_997)], []);
      await deliverAs(db, handlers, 'topology.submitted', randomUUID(), { topologyId: id });

      const value = async (name: string, labels: Record<string, string>) => {
        const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
        const sample = (metric?.values ?? []).find((v) =>
          Object.entries(labels).every(([k, l]) => v.labels[k] === l),
        );
        return sample?.value ?? 0;
      };
      assert.equal(await value('provdb_topology_reviews_total', { status: 'conflicts' }), 1);
      assert.equal(await value('provdb_topology_reviews_total', { status: 'approved' }), 0);
      assert.equal(await value('provdb_topology_findings_total', { kind: 'unknown_device' }), 2);

      // The same review in an event whose next handler fails: rolled back, not counted.
      const failing = new HandlerRegistry();
      await module.register(failing, undefined as never);
      failing.register('topology.submitted', 'after', async () => {
        throw new Error('a later handler failed');
      });
      await assert.rejects(
        deliverAs(db, failing, 'topology.submitted', randomUUID(), { topologyId: id }),
        /a later handler failed/,
      );
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(await value('provdb_topology_reviews_total', { status: 'conflicts' }), 1);
      assert.equal(await value('provdb_topology_findings_total', { kind: 'unknown_device' }), 2);
    });
  });
});
