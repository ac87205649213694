/**
 * Lab utilization for Prometheus, read from the rollups on a timer (not on each scrape):
 *
 * - `provdb_device_utilization_ratio{device,device_type,site,window}`: per device, booked seconds
 *   over capacity seconds (time outside maintenance) of the hour rows of the trailing window
 *   (`1d`: the last 24 whole UTC hours, `7d`: the last 168), 0 when there is no capacity or no
 *   computed hour; `device` is the device's Polatis name (its id when it has none; `name #id`
 *   when two devices share a name), so the label set is bounded by the lab's devices.
 * - `provdb_rollup_lag_seconds`: seconds from the start of the last completed reconciliation run
 *   (`rollups.reconcile` in processed_events: the rollups of every device were recomputed as of
 *   then) to now, computed when scraped from the time read at the last refresh, so it keeps
 *   growing while Postgres is unreachable. With no run recorded in the last 30 days, it counts
 *   from when this worker started refreshing.
 *
 * One set-based statement per refresh (every METRICS_UTILIZATION_INTERVAL, default 60 s), under a
 * statement timeout. A failed refresh keeps the last values (and the lag keeps growing), logs one
 * warning per outage, and never fails a scrape.
 */
import type { Knex } from 'knex';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../logger';

export const UTILIZATION_WINDOWS = [
  { window: '1d', hours: 24 },
  { window: '7d', hours: 168 },
] as const;

/** How far back a completed reconciliation is looked for. */
const RECONCILE_HORIZON_DAYS = 30;

export const UTILIZATION_SQL = `
WITH w(name, hours) AS (SELECT * FROM unnest(?::text[], ?::int[])),
     p AS (SELECT date_trunc('hour', now()) AS hi),
     per AS (
       SELECT r.device_id, w.name, sum(r.booked_seconds)::float8 AS booked,
              sum(r.capacity_seconds)::float8 AS capacity
         FROM w CROSS JOIN p
         JOIN utilization_rollups r
           ON r.granularity = 'hour'
          AND r.bucket_start >= p.hi - make_interval(hours => w.hours) AND r.bucket_start < p.hi
        GROUP BY r.device_id, w.name),
     d AS (
       SELECT l.device_id, nullif(btrim(l.polatis_name), '') AS name,
              coalesce(l.device_type_name, 'unknown') AS device_type, coalesce(l.site_name, 'unknown') AS site
         FROM linked_devices l)
SELECT CASE WHEN d.name IS NULL THEN d.device_id::text
            WHEN count(*) OVER (PARTITION BY d.name, w.name) > 1 THEN d.name || ' #' || d.device_id
            ELSE d.name END AS device,
       d.device_type, d.site, w.name AS "window",
       CASE WHEN coalesce(per.capacity, 0) > 0 THEN per.booked / per.capacity ELSE 0 END AS ratio,
       (SELECT extract(epoch FROM max(e.processed_at))::float8 FROM processed_events e
         WHERE e.job_name = 'rollups.reconcile'
           AND e.processed_at > now() - make_interval(days => ?::int)) AS reconciled_at
  FROM d CROSS JOIN w
  LEFT JOIN per ON per.device_id = d.device_id AND per.name = w.name
 ORDER BY d.device_id, w.name`;

export interface UtilizationRow {
  device: string;
  device_type: string;
  site: string;
  window: string;
  ratio: number;
}

export interface UtilizationMetricsOptions {
  readonly registry: Registry;
  readonly knex: Knex;
  /** Time between two refreshes (METRICS_UTILIZATION_INTERVAL). */
  readonly intervalMs: number;
  /** Statement timeout of a refresh (default: the interval, at most 30 s). */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export interface UtilizationMetrics {
  /** Refreshes now, then every intervalMs until stop(). */
  start(): void;
  /** Reads the rollups once; resolves false (and logs) when it failed. Never rejects. */
  refresh(): Promise<boolean>;
  /** Stops the timer and waits for a refresh in flight. */
  stop(): Promise<void>;
}

export function createUtilizationMetrics(options: UtilizationMetricsOptions): UtilizationMetrics {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? Math.min(options.intervalMs, 30_000);
  const ratio = new Gauge<'device' | 'device_type' | 'site' | 'window'>({
    name: 'provdb_device_utilization_ratio',
    help: 'Booked time over capacity (time outside maintenance) of each device over the trailing window (1d, 7d), from utilization_rollups; refreshed on a timer.',
    labelNames: ['device', 'device_type', 'site', 'window'],
    registers: [options.registry],
  });
  // Seconds since the reference time, computed at scrape time from the last refreshed value.
  let reference: number | undefined;
  let startedAt: number | undefined;
  new Gauge({
    name: 'provdb_rollup_lag_seconds',
    help: 'Seconds since the utilization rollups were last reconciled (the last completed rollups.reconcile run).',
    registers: [options.registry],
    collect() {
      const since = reference ?? startedAt;
      this.set(since === undefined ? 0 : Math.max(0, (now() - since) / 1000));
    },
  });

  let timer: NodeJS.Timeout | undefined;
  let inflight: Promise<boolean> | undefined;
  let started = false;
  let stopped = false;
  let failing = false;

  async function read(): Promise<boolean> {
    try {
      const rows = await options.knex.transaction(async (trx) => {
        await trx.raw(`SELECT set_config('statement_timeout', ?, true)`, [`${timeoutMs}ms`]);
        const result = await trx.raw<{ rows: Array<UtilizationRow & { reconciled_at: number | null }> }>(
          UTILIZATION_SQL,
          [
            UTILIZATION_WINDOWS.map((w) => w.window),
            UTILIZATION_WINDOWS.map((w) => w.hours),
            RECONCILE_HORIZON_DAYS,
          ],
        );
        return result.rows;
      });
      ratio.reset();
      for (const row of rows) {
        ratio.set(
          { device: row.device, device_type: row.device_type, site: row.site, window: row.window },
          row.ratio,
        );
      }
      // reconciled_at is the same on every row; with no device there is no row to carry it.
      const reconciledAt = rows[0]?.reconciled_at ?? (await lastReconciliation(options.knex));
      reference = reconciledAt === null ? undefined : reconciledAt * 1000;
      if (failing) options.logger?.info('utilization metrics: refreshed again');
      failing = false;
      return true;
    } catch (error) {
      if (!failing) {
        options.logger?.warn(
          { err: (error as Error).message },
          `utilization metrics: refresh failed, keeping the last values: ${(error as Error).message}`,
        );
      }
      failing = true;
      return false;
    }
  }

  function refresh(): Promise<boolean> {
    inflight ??= read().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void refresh().finally(schedule);
    }, options.intervalMs);
    timer.unref();
  }

  return {
    start() {
      if (started || stopped) return;
      started = true;
      startedAt = now();
      void refresh().finally(schedule);
    },
    refresh,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inflight;
    },
  };
}

async function lastReconciliation(knex: Knex): Promise<number | null> {
  const { rows } = await knex.raw<{ rows: Array<{ at: number | null }> }>(
    `SELECT extract(epoch FROM max(processed_at))::float8 AS at FROM processed_events
      WHERE job_name = 'rollups.reconcile' AND processed_at > now() - make_interval(days => ?::int)`,
    [RECONCILE_HORIZON_DAYS],
  );
  return rows[0]?.at ?? null;
}
