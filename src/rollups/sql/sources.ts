/**
 * The interval sources of the rollup model, as SQL common table expressions. Every reader of
 * "when was a device booked, in maintenance or down" (the rollup upsert, the per-user figures,
 * the rule facts) goes through these, so the model has one definition.
 *
 * Time is handled as `timestamp` holding UTC (what the legacy columns hold); typed timestamptz
 * columns are converted with `AT TIME ZONE 'UTC'`, so nothing depends on the session time zone.
 * Every instant is truncated to whole seconds first.
 *
 * The fragments expect these CTEs before them:
 * - `params(asof timestamp, booked_statuses text[], extra_booking_ids int[], down_statuses
 *   text[], cancelled_statuses text[], record_default interval)`;
 * - `spans(device_id int, mr tsmultirange)`: per device, the time that matters;
 * - `span_parts(device_id, lo, hi)`: the same, one row per disjoint range of `spans.mr`.
 *
 * They define:
 * - `q_bookings(booking_id, device_id, user_id, bs, be)`: bookings that count as booked time
 *   (canonical status confirmed or completed, or listed in `extra_booking_ids`; not collaborator
 *   rows; end after start once truncated) overlapping a span part, each once;
 * - `cats(device_id, maintenance, down, booked)`: per device, the three disjoint categories as
 *   tsmultiranges within the device's span (maintenance, then down minus maintenance, then the
 *   union of bookings minus both). Idle is the rest of the span.
 */
import type { Knex } from 'knex';

export const PARAMS_CTE = `params AS (
  SELECT date_trunc('second', ?::timestamptz AT TIME ZONE 'UTC') AS asof,
         ?::text[] AS booked_statuses,
         ?::int[] AS extra_booking_ids,
         ?::text[] AS down_statuses,
         ?::text[] AS cancelled_statuses,
         make_interval(secs => ?::int) AS record_default
)`;

export const SOURCES_CTES = `
-- LATERAL with OFFSET 0 (kept from being flattened into a hash join over the whole table), so
-- each span part is an index range scan on (device_id, start_time, end_time).
q_bookings AS MATERIALIZED (
  SELECT DISTINCT b.booking_id, b.device_id, b.user_id, b.bs, b.be
    FROM span_parts p
   CROSS JOIN params
   CROSS JOIN LATERAL (
     SELECT b.booking_id, b.device_id, b.user_id,
            date_trunc('second', b.start_time) AS bs, date_trunc('second', b.end_time) AS be
       FROM booking_table b
      WHERE b.device_id = p.device_id AND b.start_time < p.hi AND b.end_time > p.lo
        AND (b.status_canonical = ANY (params.booked_statuses) OR b.booking_id = ANY (params.extra_booking_ids))
        AND NOT b.is_collaborator
        AND date_trunc('second', b.end_time) > date_trunc('second', b.start_time)
     OFFSET 0) b
),
-- The typed maintenance window of the scheduler device (a window with a start and no end is
-- open: it runs until as-of), and the maintenance records of its linked inventory device. A
-- record runs from its scheduled date to its performed date when it was performed after it was
-- scheduled; otherwise it occupies record_default from the earlier of the two. Cancelled records
-- and records of no device count nothing.
maint_src AS MATERIALIZED (
  SELECT d.id AS device_id, tsrange(x.ms, x.me) AS r
    FROM spans s
    JOIN device_table d ON d.id = s.device_id
   CROSS JOIN params
   CROSS JOIN LATERAL (
     SELECT date_trunc('second', d.maintenance_starts_at AT TIME ZONE 'UTC') AS ms,
            coalesce(date_trunc('second', d.maintenance_ends_at AT TIME ZONE 'UTC'), params.asof) AS me) x
   WHERE x.me > x.ms
  UNION ALL
  SELECT d.id, tsrange(y.rs, y.re)
    FROM spans s
    JOIN device_table d ON d.id = s.device_id
    JOIN maintenance_records m ON m.device_id = d.inventory_device_id
   CROSS JOIN params
   CROSS JOIN LATERAL (SELECT date_trunc('second', m.scheduled_date) AS sd,
                              date_trunc('second', m.performed_date) AS pd) x
   CROSS JOIN LATERAL (SELECT least(x.sd, x.pd) AS rs,
                              CASE WHEN x.pd > x.sd THEN x.pd
                                   ELSE least(x.sd, x.pd) + params.record_default END AS re) y
   WHERE lower(btrim(m.status)) <> ALL (params.cancelled_statuses)
     AND y.re > y.rs
),
-- Health snapshots are a status timeline: each holds from its observation time
-- (heartbeat_at, else updated_at) until the device's next snapshot, and the last one until as-of.
-- Per span part: the snapshot in force at its start, then every snapshot inside it; the next
-- snapshot after the part is not read, so a status holds at most to the part's end.
down_obs AS MATERIALIZED (
  SELECT p.device_id, p.lo AS part, p.hi AS part_end, o.id, o.obs_raw,
         date_trunc('second', o.obs_raw) AS obs,
         lower(btrim(o.status)) = ANY (params.down_statuses) AS is_down
    FROM span_parts p
   CROSS JOIN params
   CROSS JOIN LATERAL (
     (SELECT h.id, coalesce(h.heartbeat_at, h.updated_at) AS obs_raw, h.status
        FROM device_health_snapshot h
       WHERE h.device_id = p.device_id AND coalesce(h.heartbeat_at, h.updated_at) <= p.lo
       ORDER BY coalesce(h.heartbeat_at, h.updated_at) DESC, h.id DESC
       LIMIT 1)
     UNION ALL
     (SELECT h.id, coalesce(h.heartbeat_at, h.updated_at), h.status
        FROM device_health_snapshot h
       WHERE h.device_id = p.device_id
         AND coalesce(h.heartbeat_at, h.updated_at) > p.lo
         AND coalesce(h.heartbeat_at, h.updated_at) < p.hi)
   ) o
),
down_src AS MATERIALIZED (
  SELECT device_id, tsrange(s, e) AS r
    FROM (SELECT o.device_id, o.is_down, o.obs AS s,
                 least(coalesce(lead(o.obs) OVER (PARTITION BY o.device_id, o.part ORDER BY o.obs_raw, o.id),
                                params.asof),
                       params.asof, o.part_end) AS e
            FROM down_obs o CROSS JOIN params) x
   WHERE is_down AND e > s
),
booked_mr AS MATERIALIZED (SELECT device_id, range_agg(tsrange(bs, be)) AS mr FROM q_bookings GROUP BY device_id),
maint_mr AS MATERIALIZED (SELECT device_id, range_agg(r) AS mr FROM maint_src GROUP BY device_id),
down_mr AS MATERIALIZED (SELECT device_id, range_agg(r) AS mr FROM down_src GROUP BY device_id),
cats AS MATERIALIZED (
  SELECT s.device_id, x.maintenance, x.down,
         (coalesce(b.mr, '{}'::tsmultirange) * s.mr) - x.maintenance - x.down AS booked
    FROM spans s
    LEFT JOIN maint_mr m ON m.device_id = s.device_id
    LEFT JOIN down_mr dn ON dn.device_id = s.device_id
    LEFT JOIN booked_mr b ON b.device_id = s.device_id
   CROSS JOIN LATERAL (
     SELECT coalesce(m.mr, '{}'::tsmultirange) * s.mr AS maintenance,
            (coalesce(dn.mr, '{}'::tsmultirange) * s.mr) - (coalesce(m.mr, '{}'::tsmultirange) * s.mr) AS down) x
)`;

/** Bindings for PARAMS_CTE, in order. */
export function paramsBindings(options: {
  asOf: Date;
  bookedStatuses: readonly string[];
  extraBookingIds?: readonly number[];
  downStatuses: readonly string[];
  cancelledRecordStatuses: readonly string[];
  recordDefaultSeconds: number;
}): Knex.RawBinding[] {
  return [
    options.asOf.toISOString(),
    [...options.bookedStatuses],
    [...(options.extraBookingIds ?? [])],
    [...options.downStatuses],
    [...options.cancelledRecordStatuses],
    options.recordDefaultSeconds,
  ];
}
