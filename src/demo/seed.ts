/**
 * `seedLab(knex, options)`: a realistic optical-testbed lab in an empty, migrated provdb
 * database, deterministic from `options.seed` (same seed, size and `now`: same rows, same ids).
 * Written the way the legacy backend writes (every NOT NULL column supplied, legacy spellings
 * and formats included) so that alignment's triggers link, parse and normalise it as they would
 * a real provdb. Returns a summary: counts from the database and the rows the demo's event
 * script plays against. See docs/demo.md for the lab's make-up and counts.
 */
import type { Knex } from 'knex';
import { type SeedContext, startOfUtcDay } from './context';
import { type BookingCounts, countLab, type LegacyTable } from './counts';
import { resolveSeedOptions, type SeedOptions } from './options';
import { Random } from './prng';
import { type PlacedBooking, plannedReservations, seedBookings } from './seed-bookings';
import { seedDevices } from './seed-devices';
import { type SeededUser, seedPeople } from './seed-people';
import { type SeededTopologies, seedTopologies } from './seed-topologies';

export interface UserRef {
  id: number;
  username: string;
  /** admin_roles.role (null: the user has no role row). */
  role: string | null;
}

export interface DeviceRef {
  /** device_table.id */
  id: number;
  polatisName: string | null;
  type: string;
}

export interface WindowRef {
  startsAt: string;
  endsAt: string;
}

export interface BookingRef extends WindowRef {
  /** The reservation's non-collaborator booking_table rows (one per device). */
  bookingIds: number[];
  groupedBookingId: string;
  userId: number;
  deviceIds: number[];
  status: string;
}

/** Rows the event script will play against (with the rule engine and queue runtime). */
export interface NotableRows {
  admin: UserRef;
  /** A lab manager: approves what students and researchers may not. */
  approver: UserRef;
  /** Two users who will want one device at once: `holder` has it confirmed. */
  conflict: {
    device: DeviceRef;
    holder: UserRef;
    held: BookingRef;
    challenger: UserRef;
    /** Overlaps `held` by two hours. */
    request: WindowRef;
  };
  /** A device with an owner, and a user who is not its owner. */
  ownedDevice: { device: DeviceRef; owner: UserRef; requester: UserRef; request: WindowRef };
  /** A student one booking short of their active-booking limit. */
  nearLimit: {
    user: UserRef;
    activeFutureBookings: number;
    maxActiveBookings: number;
    bookings: BookingRef[];
    /** Two more requests, on a device free at both times. */
    device: DeviceRef;
    requests: [WindowRef, WindowRef];
  };
  /** Longer than a student may approve (8 h) but within a researcher's: needs approval. */
  overLimit: { user: UserRef; device: DeviceRef; request: WindowRef; hours: number };
  /** Longer than the lab's global maximum (72 h): denied. */
  denied: { user: UserRef; device: DeviceRef; request: WindowRef; hours: number };
  /** A device to put into maintenance, with a confirmed booking the maintenance will hit. */
  maintenance: { device: DeviceRef; affected: BookingRef; window: WindowRef };
  /** Free device windows for ordinary bookings by users within their limits. */
  normal: Array<{ user: UserRef; device: DeviceRef; request: WindowRef }>;
  topologies: SeededTopologies;
  /** Lab state worth seeing in a review or the alignment report. */
  lab: {
    inMaintenanceNow: DeviceRef | null;
    maintenanceSoon: DeviceRef | null;
    retired: DeviceRef | null;
    unmatchedSchedulerDevice: number;
    spareInventoryDevice: number | null;
    badPortRange: DeviceRef | null;
  };
}

export interface SeedSummary {
  seed: number;
  /** The lab's now (ISO 8601, UTC). */
  now: string;
  options: Omit<SeedOptions, 'seed' | 'now'>;
  /** Rows per legacy table, counted in the database after seeding. */
  counts: Record<LegacyTable, number>;
  bookings: BookingCounts;
  notable: NotableRows;
  timingsMs: { total: number; people: number; devices: number; bookings: number; topologies: number };
}

export type SeedProgress = (event: { step: string; done?: number; total?: number }) => void;

export class SeedTargetError extends Error {
  override readonly name = 'SeedTargetError';
}

async function assertSeedable(db: Knex): Promise<void> {
  const { rows } = await db.raw<{ rows: Array<{ aligned: boolean }> }>(
    `SELECT to_regclass('linked_devices') IS NOT NULL AS aligned`,
  );
  if (!rows[0]?.aligned) {
    throw new SeedTargetError(
      'the database is not migrated (no linked_devices view): run `provdb-worker migrate` first',
    );
  }
  const { rows: used } = await db.raw<{ rows: Array<{ table_name: string; n: number }> }>(
    `SELECT t AS table_name, n FROM (
       SELECT 'user_table' AS t, (SELECT count(*) FROM user_table)::int AS n UNION ALL
       SELECT 'devices', (SELECT count(*) FROM devices)::int UNION ALL
       SELECT 'device_table', (SELECT count(*) FROM device_table)::int UNION ALL
       SELECT 'booking_table', (SELECT count(*) FROM booking_table)::int) c WHERE n > 0`,
  );
  if (used.length > 0) {
    const what = used.map((r) => `${r.table_name} has ${r.n} rows`).join(', ');
    throw new SeedTargetError(`the lab is seeded into an empty database only: ${what}`);
  }
}

const iso = (d: Date) => d.toISOString();

export async function seedLab(
  knex: Knex,
  input: Partial<SeedOptions> = {},
  onProgress: SeedProgress = () => {},
): Promise<SeedSummary> {
  const options = resolveSeedOptions(input);
  const started = performance.now();
  const timings = { total: 0, people: 0, devices: 0, bookings: 0, topologies: 0 };
  const lap = (key: keyof typeof timings, since: number) => {
    timings[key] = Math.round(performance.now() - since);
    return performance.now();
  };
  await assertSeedable(knex);

  const notable = await knex.transaction(async (trx) => {
    // The generator's statements are cheap but look expensive to the planner (generate_series
    // and JSON arrays of unknown length): JIT would spend a second compiling each of them.
    await trx.raw('SET LOCAL jit = off');
    const ctx: SeedContext = {
      db: trx,
      rng: new Random(options.seed),
      options,
      day0: startOfUtcDay(options.now),
    };
    let t = performance.now();
    onProgress({ step: 'people' });
    const people = await seedPeople(ctx);
    t = lap('people', t);
    onProgress({ step: 'devices' });
    const devices = await seedDevices(ctx, people);
    t = lap('devices', t);
    const total = plannedReservations(options);
    onProgress({ step: 'bookings', done: 0, total });
    const bookings = await seedBookings(ctx, people, devices, (done) =>
      onProgress({ step: 'bookings', done, total }),
    );
    t = lap('bookings', t);
    onProgress({ step: 'topologies' });
    const topologies = await seedTopologies(ctx, people, devices, bookings);
    lap('topologies', t);

    const user = (u: SeededUser): UserRef => ({ id: u.id, username: u.username, role: u.role });
    const device = (d: (typeof devices.devices)[number] | undefined | null): DeviceRef | null =>
      d && d.schedulerId !== null
        ? { id: d.schedulerId, polatisName: d.plan.polatisName, type: d.plan.type.name }
        : null;
    const s = devices.scenario;
    const dev = (key: keyof typeof s) => device(s[key]) as DeviceRef;
    const booking = (b: PlacedBooking): BookingRef => ({
      bookingIds: b.bookingIds,
      groupedBookingId: b.groupedBookingId,
      userId: b.userId,
      deviceIds: b.deviceIds,
      status: b.status,
      startsAt: iso(b.startsAt),
      endsAt: iso(b.endsAt),
    });
    const win = (day: number, fromHour: number, hours: number): WindowRef => {
      const start = new Date(ctx.day0.getTime() + day * 86_400_000 + fromHour * 3_600_000);
      return { startsAt: iso(start), endsAt: iso(new Date(start.getTime() + hours * 3_600_000)) };
    };
    const p = bookings.people;
    const placed = bookings.placed as Record<string, PlacedBooking>;
    const byRole = (role: string) => devices.devices.find((d) => d.plan.role === role);
    const limits = people.settings['rules.limits'] as {
      roles: Record<string, { maxActiveBookings: number }>;
    };
    return {
      admin: user(people.admin),
      approver: user(people.managers[0] as SeededUser),
      conflict: {
        device: dev('conflict'),
        holder: user(p.holder),
        held: booking(placed.conflictHeld as PlacedBooking),
        challenger: user(p.challenger),
        request: win(1, 11, 4),
      },
      ownedDevice: {
        device: dev('owned'),
        owner: user(p.owner),
        requester: user(p.requester),
        request: win(3, 9, 3),
      },
      nearLimit: {
        user: user(p.nearLimit),
        activeFutureBookings: 2,
        maxActiveBookings: limits.roles[p.nearLimit.role ?? '']?.maxActiveBookings ?? 0,
        bookings: [
          booking(placed.nearLimitFirst as PlacedBooking),
          booking(placed.nearLimitSecond as PlacedBooking),
        ],
        device: dev('freeGenerator'),
        requests: [win(1, 9, 2), win(1, 14, 2)],
      },
      overLimit: {
        user: user(p.requester),
        device: dev('freeAmplifier'),
        request: win(2, 13, 12),
        hours: 12,
      },
      denied: { user: user(p.requester), device: dev('freeAmplifier'), request: win(6, 8, 96), hours: 96 },
      maintenance: {
        device: dev('maintenance'),
        affected: booking(placed.maintenanceAffected as PlacedBooking),
        window: win(2, 6, 12),
      },
      normal: [
        { user: user(p.holder), device: dev('freeAmplifier'), request: win(2, 8, 3) },
        { user: user(p.challenger), device: dev('freeGenerator'), request: win(6, 9, 3) },
      ],
      topologies,
      lab: {
        inMaintenanceNow: device(byRole('maintenance_now')),
        maintenanceSoon: device(byRole('maintenance_soon')),
        retired: device(byRole('retired')),
        unmatchedSchedulerDevice: devices.unmatchedSchedulerId,
        spareInventoryDevice: byRole('spare')?.inventoryId ?? null,
        badPortRange: device(
          devices.plan.dirt.badPortRange ? devices.devices[devices.plan.dirt.badPortRange.index] : null,
        ),
      },
    } satisfies NotableRows;
  });

  // Fresh statistics after a bulk load, so the demo's and benchmarks' queries plan well.
  await knex.raw('ANALYZE');
  const { counts, bookings } = await countLab(knex);
  timings.total = Math.round(performance.now() - started);
  const { seed, now: _now, ...size } = options;
  return { seed, now: iso(options.now), options: size, counts, bookings, notable, timingsMs: timings };
}
