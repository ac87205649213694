import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULTS } from '../../src/config';
import { readYaml, repoPath } from './files';

// No Docker engine runs where the tests run, so the stack is checked by reading it: each
// service is there with what the worker and the operations guide rely on, and the mounted files,
// paths and host names agree with each other.

const Service = z.object({
  image: z.string(),
  command: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).default({}),
  volumes: z.array(z.string()).default([]),
  ports: z.array(z.string()).default([]),
  extra_hosts: z.array(z.string()).default([]),
});
const Compose = z.object({ services: z.record(z.string(), Service) });

const ProvisionedDataSources = z.object({
  datasources: z.array(
    z.object({ name: z.string(), type: z.string(), url: z.string(), isDefault: z.boolean() }),
  ),
});
const ProvisionedDashboards = z.object({
  providers: z.array(z.object({ type: z.string(), options: z.object({ path: z.string() }) })),
});

interface Mount {
  source: string;
  target: string;
}

function bindMounts(volumes: string[]): Mount[] {
  return volumes.map((volume) => {
    const [source = '', target = ''] = volume.split(':');
    return { source, target };
  });
}

describe('docker-compose.yml (local stack)', () => {
  const { services } = readYaml('docker-compose.yml', Compose);
  const service = (name: string) => {
    const found = services[name];
    assert.ok(found, `service ${name}`);
    return found;
  };

  it('runs Postgres 15 and Redis 7 where the worker looks by default', () => {
    const postgres = service('postgres');
    assert.match(postgres.image, /^postgres:15(\b|$)/);
    const database = new URL(DEFAULTS.DATABASE_URL);
    assert.ok(postgres.ports.includes(`127.0.0.1:${database.port}:5432`));
    assert.equal(postgres.environment.POSTGRES_DB, database.pathname.slice(1));
    // The default DATABASE_URL has no password: the local stack trusts its clients.
    assert.equal(database.password, '');
    assert.equal(postgres.environment.POSTGRES_HOST_AUTH_METHOD, 'trust');

    const redis = service('redis');
    assert.match(redis.image, /^redis:7(\b|$)/);
    assert.ok(redis.ports.includes(`127.0.0.1:${new URL(DEFAULTS.REDIS_URL).port}:6379`));
  });

  it('runs Redis with noeviction and without persistence', () => {
    const args = service('redis').command ?? [];
    const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
    assert.equal(args[0], 'redis-server');
    assert.equal(value('--maxmemory-policy'), 'noeviction');
    assert.equal(value('--save'), '');
    assert.equal(value('--appendonly'), 'no');
  });

  it('publishes every port on loopback only', () => {
    for (const [name, { ports }] of Object.entries(services)) {
      for (const port of ports) assert.match(port, /^127\.0\.0\.1:\d+:\d+$/, `${name}: ${port}`);
    }
  });

  it('mounts only files of the repository that exist', () => {
    for (const [name, { volumes }] of Object.entries(services)) {
      for (const { source } of bindMounts(volumes)) {
        assert.ok(source.startsWith('./'), `${name}: ${source} is not a repository path`);
        assert.ok(existsSync(repoPath(source)), `${name}: ${source} does not exist`);
      }
    }
  });

  it('gives Prometheus the repository configuration and a route to the worker on the host', () => {
    const prometheus = service('prometheus');
    const mount = bindMounts(prometheus.volumes).find((m) => m.source === './prometheus');
    assert.ok(mount, './prometheus is mounted');
    const flag = prometheus.command?.find((arg) => arg.startsWith('--config.file='));
    assert.ok(flag, '--config.file');
    const configFile = flag.slice('--config.file='.length);
    assert.equal(path.posix.dirname(configFile), mount.target);
    assert.equal(path.posix.basename(configFile), 'prometheus.compose.yml');
    assert.ok(prometheus.extra_hosts.includes('host.docker.internal:host-gateway'));
  });

  it('gives Grafana anonymous viewers, the Prometheus data source and the dashboard', () => {
    const grafana = service('grafana');
    assert.equal(grafana.environment.GF_AUTH_ANONYMOUS_ENABLED, 'true');
    assert.equal(grafana.environment.GF_AUTH_ANONYMOUS_ORG_ROLE, 'Viewer');
    const mounts = bindMounts(grafana.volumes);
    assert.ok(
      mounts.some((m) => m.source === './grafana/provisioning' && m.target === '/etc/grafana/provisioning'),
    );

    const { datasources } = readYaml(
      'grafana/provisioning/datasources/prometheus.yml',
      ProvisionedDataSources,
    );
    const source = datasources.find((ds) => ds.type === 'prometheus');
    assert.ok(source?.isDefault, 'a default Prometheus data source');
    assert.ok(new URL(source.url).hostname in services, `${source.url} names a compose service`);

    const { providers } = readYaml('grafana/provisioning/dashboards/provdb.yml', ProvisionedDashboards);
    const dashboard = mounts.find((m) => m.source === './grafana/provdb-worker.dashboard.json');
    assert.ok(dashboard, 'the dashboard is mounted');
    assert.deepEqual(
      providers.map((p) => [p.type, p.options.path]),
      [['file', path.posix.dirname(dashboard.target)]],
    );
  });
});
