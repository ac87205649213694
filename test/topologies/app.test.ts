import assert from 'node:assert/strict';
import { type App, createApp } from '../../src/app';
import { topologyHandlers } from '../../src/topologies/handlers';
import { FINDING_KINDS } from '../../src/topologies/types';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { loadMetricCatalog } from '../support/metric-catalog';
import { deletePrefix, uniquePrefix } from '../support/redis';
import { captureLogs, testConfig, waitUntil } from '../support/runtime';
import { Lab, node } from './lab';

const sample = (text: string, name: string, label: string, value: string): number | null => {
  const match = new RegExp(`^${name}\\{${label}="${value}"\\} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : null;
};

describe('topology reviews in a running worker: shipped policies, /metrics', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let prefix: string;
  let app: App | undefined;

  before(async () => {
    db = await migratedDatabase();
    prefix = uniquePrefix('topology-app');
    app = await createApp(testConfig(db.url, prefix), {
      logger: captureLogs('warn').logger,
      handlerModules: [topologyHandlers],
    });
    await app.start({ queues: ['topologies'] });
  });
  after(async () => {
    await app?.close();
    if (prefix) await deletePrefix(prefix);
    await db?.drop();
  });

  it('reviews a submitted topology with the policies of RULES_DIR and counts it, documented, in /metrics', async () => {
    const lab = new Lab(db.knex);
    const author = await lab.user('author');
    const id = await lab.topology(author, [node('a', 999_999)], []);
    await app!.deps.producer.enqueue('topology.submitted', { topologyId: id });

    const url = `${app!.http.url}/metrics`;
    const text = await waitUntil('the review to show in /metrics', async () => {
      const body = await (await fetch(url)).text();
      return sample(body, 'provdb_topology_reviews_total', 'status', 'conflicts') === 1 ? body : '';
    });
    const review = await lab.review(id);
    assert.equal(review.status, 'conflicts');
    // The shipped topology-limits policy flags the node matching no device.
    const policy = (await lab.findings(id)).find((f) => f.kind === 'policy');
    assert.equal(policy?.detail.code, 'TOPOLOGY_UNKNOWN_NODES');
    assert.equal(policy?.severity, 'info');

    assert.equal(sample(text, 'provdb_topology_findings_total', 'kind', 'unknown_device'), 1);
    assert.equal(sample(text, 'provdb_topology_findings_total', 'kind', 'policy'), 1);
    assert.equal(sample(text, 'provdb_topology_reviews_total', 'status', 'approved'), 0);

    const catalog = loadMetricCatalog();
    const section = [...catalog.metrics.values()].filter((m) => m.section === 'Topology reviews');
    assert.deepEqual(section.map((m) => m.name).sort(), [
      'provdb_topology_findings_total',
      'provdb_topology_reviews_total',
    ]);
    for (const metric of section) {
      assert.match(text, new RegExp(`^# TYPE ${metric.name} ${metric.type}$`, 'm'));
      const labels = new Set(
        [...text.matchAll(new RegExp(`^${metric.name}\\{(\\w+)=`, 'gm'))].map((m) => m[1]),
      );
      assert.deepEqual([...labels], metric.labels);
    }
    for (const [, kind] of text.matchAll(/^provdb_topology_findings_total\{kind="([^"]+)"\}/gm)) {
      assert.ok((FINDING_KINDS as readonly string[]).includes(kind!), kind);
    }
  });
});
