/**
 * Booking history generated inside Postgres (generate_series), so that a million reservations
 * cost the Node process no memory: it sends the lab's device and user lists once per chunk of
 * days and Postgres writes the rows.
 *
 * Each device's day is cut into slots; a reservation takes part of one slot, so confirmed
 * bookings of a device never overlap (the exclusion constraint holds by construction):
 *
 *   08:00-11:00, 11:00-14:00, 14:00-17:00   one device
 *   17:00-20:00                             two devices (pairs in list order): a grouped
 *                                           reservation with a row per device
 *   20:00-08:00                             one device, overnight runs
 *
 * Each day, exactly `perDay` reservations are drawn among the free slots (weighted sampling:
 * popular devices fill up first). Within its slot a reservation starts on a quarter hour in the
 * slot's first half and lasts at least an hour. Everything random comes from
 * `hashtextextended(<day:slot:unit>, seed)`, so a seed gives the same bookings on every server.
 */
import type { Knex } from 'knex';

export interface BookingSqlParams {
  seed: number;
  /** UTC midnight of the lab's day 0, `YYYY-MM-DD`. */
  day0: string;
  /** The lab's now, `YYYY-MM-DD HH:MM:SS` UTC. */
  now: string;
  /** Reservations ending after this use the `recent` pools and avoid reserved devices. */
  boundary: string;
  fromDay: number;
  toDay: number;
  perDay: number;
  /** Bookable scheduler devices: [device_table.id, popularity weight, reserved]. */
  devices: Array<[number, number, boolean]>;
  all: UserPool;
  recent: UserPool;
  comments: string[];
}

export interface UserPool {
  /** Distinct users. */
  ids: number[];
  names: string[];
  /** 0-based indexes into ids, repeated by how often each user books. */
  owners: number[];
}

/** Reservations a day of `devices` bookable devices can hold (every slot of every device). */
export function slotsPerDay(devices: number): number {
  return devices * 4 + Math.floor(devices / 2);
}

// 2^52 - 1: the low 52 bits of a hash, as an exact float8.
const MASK = '4503599627370495';
const hash = (salt: number) => `(hashtextextended(c.k, p.salt + ${salt}) & ${MASK})`;

const SQL = `
WITH p AS (
  SELECT (j->>'seed')::bigint * 64 AS salt,
         (j->>'day0')::timestamp AS day0,
         (j->>'now')::timestamp AS now,
         (j->>'boundary')::timestamp AS boundary,
         (j->>'perDay')::int AS per_day,
         (j->>'fromDay')::int AS from_day,
         (j->>'toDay')::int AS to_day,
         ARRAY(SELECT v::int FROM jsonb_array_elements_text(j->'all'->'ids') WITH ORDINALITY e(v, o) ORDER BY o) AS all_ids,
         ARRAY(SELECT v FROM jsonb_array_elements_text(j->'all'->'names') WITH ORDINALITY e(v, o) ORDER BY o) AS all_names,
         ARRAY(SELECT v::int FROM jsonb_array_elements_text(j->'all'->'owners') WITH ORDINALITY e(v, o) ORDER BY o) AS all_owners,
         ARRAY(SELECT v::int FROM jsonb_array_elements_text(j->'recent'->'ids') WITH ORDINALITY e(v, o) ORDER BY o) AS recent_ids,
         ARRAY(SELECT v FROM jsonb_array_elements_text(j->'recent'->'names') WITH ORDINALITY e(v, o) ORDER BY o) AS recent_names,
         ARRAY(SELECT v::int FROM jsonb_array_elements_text(j->'recent'->'owners') WITH ORDINALITY e(v, o) ORDER BY o) AS recent_owners,
         ARRAY(SELECT v FROM jsonb_array_elements_text(j->'comments') WITH ORDINALITY e(v, o) ORDER BY o) AS comments,
         j
    FROM (SELECT CAST(? AS jsonb) AS j) x
),
devs AS (
  SELECT (e.o - 1)::int AS idx, (e.v->>0)::int AS id, (e.v->>1)::float8 AS w, (e.v->>2)::boolean AS reserved
    FROM p, jsonb_array_elements(p.j->'devices') WITH ORDINALITY e(v, o)
),
slots(slot, start_min, len) AS (VALUES (0, 480, 180), (1, 660, 180), (2, 840, 180), (4, 1200, 720)),
maint AS (
  SELECT id, maintenance_starts_at AS s, maintenance_ends_at AS e FROM device_table
   WHERE maintenance_starts_at IS NOT NULL AND maintenance_ends_at IS NOT NULL
),
cells AS (
  SELECT d.day, s.slot, dv.idx AS unit, dv.id AS dev1, NULL::int AS dev2, dv.w, dv.reserved,
         p.day0 + d.day * interval '1 day' + s.start_min * interval '1 minute' AS slot_start, s.len
    FROM p CROSS JOIN generate_series(p.from_day, p.to_day) d(day) CROSS JOIN devs dv CROSS JOIN slots s
  UNION ALL
  SELECT d.day, 3, a.idx, a.id, b.id, (a.w + b.w) / 2, a.reserved OR b.reserved,
         p.day0 + d.day * interval '1 day' + interval '17 hours', 180
    FROM p CROSS JOIN generate_series(p.from_day, p.to_day) d(day)
    CROSS JOIN devs a JOIN devs b ON b.idx = a.idx + 1
   WHERE a.idx % 2 = 0
),
eligible AS (
  SELECT x.*, x.day || ':' || x.slot || ':' || x.unit AS k,
         x.slot_start + x.len * interval '1 minute' AS slot_end
    FROM cells x
),
free AS (
  SELECT c.* FROM eligible c CROSS JOIN p
   WHERE NOT (c.reserved AND c.slot_end > p.boundary)
     AND NOT EXISTS (SELECT 1 FROM maint m
                      WHERE m.id IN (c.dev1, c.dev2)
                        AND m.s < c.slot_end AT TIME ZONE 'UTC' AND m.e > c.slot_start AT TIME ZONE 'UTC')
),
ranked AS (
  SELECT c.*, row_number() OVER (
           PARTITION BY c.day
           ORDER BY ln((${hash(1)}::float8 + 0.5) / 4503599627370496.0) / c.w DESC, c.k) AS rk
    FROM free c CROSS JOIN p
),
res AS (
  SELECT c.k, c.dev1, c.dev2, c.slot_start, c.slot_end > p.boundary AS recent,
         c.slot_start + (15 * (${hash(2)} % (c.len / 30 + 1))) * interval '1 minute' AS start_time,
         ${hash(3)} AS h_len, ${hash(4)} AS h_owner, ${hash(5)} AS h_n, ${hash(6)} AS h_c1,
         ${hash(7)} AS h_c2, ${hash(8)} % 1000 AS u_status, ${hash(9)} AS h_created, ${hash(10)} AS h_comment,
         c.len
    FROM ranked c CROSS JOIN p
   WHERE c.rk <= p.per_day
),
timed AS (
  SELECT r.*,
         r.start_time + (60 + 15 * (r.h_len % ((r.len - extract(epoch FROM r.start_time - r.slot_start)::int / 60 - 60) / 15 + 1)))
           * interval '1 minute' AS end_time,
         CASE WHEN r.recent THEN p.recent_ids ELSE p.all_ids END AS ids,
         CASE WHEN r.recent THEN p.recent_names ELSE p.all_names END AS names,
         CASE WHEN r.recent THEN p.recent_owners ELSE p.all_owners END AS owners
    FROM res r CROSS JOIN p
),
people AS (
  SELECT t.*, o.owner_idx, cardinality(t.ids) AS n,
         CASE WHEN t.h_n % 1000 < 150 THEN 1 WHEN t.h_n % 1000 < 200 THEN 2 ELSE 0 END AS ncollab
    FROM timed t
    CROSS JOIN LATERAL (SELECT t.owners[1 + (t.h_owner % cardinality(t.owners))::int] AS owner_idx) o
),
picked AS (
  SELECT q.*,
         (q.owner_idx + 1 + q.k1) % q.n AS c1,
         (q.owner_idx + 1 + CASE WHEN q.k2 >= q.k1 THEN q.k2 + 1 ELSE q.k2 END) % q.n AS c2,
         CASE
           WHEN q.end_time <= p.now THEN CASE
             WHEN q.u_status < 700 THEN 'completed' WHEN q.u_status < 780 THEN 'Completed'
             WHEN q.u_status < 840 THEN 'cancelled' WHEN q.u_status < 870 THEN 'canceled'
             WHEN q.u_status < 900 THEN 'Cancelled' WHEN q.u_status < 930 THEN 'Confirmed'
             WHEN q.u_status < 950 THEN 'confirmed' WHEN q.u_status < 980 THEN 'rejected'
             WHEN q.u_status < 995 THEN NULL ELSE 'tentative' END
           WHEN q.start_time < p.now THEN CASE WHEN q.u_status < 800 THEN 'confirmed' ELSE 'Confirmed' END
           ELSE CASE
             WHEN q.u_status < 560 THEN 'confirmed' WHEN q.u_status < 700 THEN 'Confirmed'
             WHEN q.u_status < 820 THEN 'pending' WHEN q.u_status < 870 THEN 'pending_approval'
             WHEN q.u_status < 900 THEN 'Pending Approval' WHEN q.u_status < 950 THEN 'cancelled'
             WHEN q.u_status < 970 THEN 'canceled' ELSE 'rejected' END
         END AS status,
         md5(p.salt || ':' || q.k)::uuid::text AS gid,
         least(q.start_time - (60 + q.h_created % 20160) * interval '1 minute',
               p.now - (q.h_created % 600) * interval '1 minute') AS created_at,
         CASE WHEN q.h_comment % 100 < 40
              THEN p.comments[1 + (q.h_comment % cardinality(p.comments))::int] END AS comment
    FROM (SELECT x.*, (x.h_c1 % (x.n - 1))::int AS k1, (x.h_c2 % (x.n - 2))::int AS k2 FROM people x) q
    CROSS JOIN p
)
INSERT INTO booking_table (device_id, user_id, is_collaborator, grouped_booking_id, start_time, end_time,
                           status, comment, collaborators, created_at)
SELECT dv.dev,
       r.ids[1 + CASE pt.part WHEN 0 THEN r.owner_idx WHEN 1 THEN r.c1 ELSE r.c2 END],
       pt.part > 0,
       r.gid, r.start_time, r.end_time, r.status,
       CASE WHEN pt.part = 0 THEN r.comment END,
       CASE WHEN pt.part > 0 OR r.ncollab = 0 THEN '[]'::json
            WHEN r.ncollab = 1 THEN json_build_array(r.names[1 + r.c1])
            ELSE json_build_array(r.names[1 + r.c1], r.names[1 + r.c2]) END,
       r.created_at
  FROM picked r
  CROSS JOIN LATERAL (VALUES (r.dev1), (r.dev2)) dv(dev)
  CROSS JOIN LATERAL generate_series(0, r.ncollab) pt(part)
 WHERE dv.dev IS NOT NULL
 ORDER BY r.start_time, dv.dev, pt.part`;

/** Inserts the reservations of days [fromDay, toDay]; returns the booking rows written. */
export async function insertGeneratedBookings(
  db: Knex | Knex.Transaction,
  params: BookingSqlParams,
): Promise<number> {
  const result = await db.raw<{ rowCount: number }>(SQL, [JSON.stringify(params)]);
  return result.rowCount;
}
