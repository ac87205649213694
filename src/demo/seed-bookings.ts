/**
 * Bookings of the seeded lab: the generated history and coming week (bookings-sql.ts), the
 * hand-placed bookings of the scenario's people and devices, and a few saved favourites.
 *
 * From a week before now on, the scenario's users and devices are left out of the generated
 * bookings, so the bookings they hold (and so their usage against their limits) are exactly
 * the ones placed here, whatever the seed and size.
 */

import { insertGeneratedBookings, slotsPerDay, type UserPool } from './bookings-sql';
import { BOOKING_COMMENTS } from './catalog';
import { at, insertRows, json, type SeedContext } from './context';
import type { ScenarioDeviceKey } from './device-plan';
import { SeedOptionsError } from './options';
import type { SeededDevices } from './seed-devices';
import type { SeededPeople, SeededUser } from './seed-people';

/** Reservations generated per chunk statement (bounded work per statement, progress between). */
const CHUNK_RESERVATIONS = 40_000;

export interface ScenarioPeople {
  holder: SeededUser;
  challenger: SeededUser;
  owner: SeededUser;
  maintenanceBooker: SeededUser;
  nearLimit: SeededUser;
  requester: SeededUser;
  topologyStudent: SeededUser;
}

export interface PlacedBooking {
  key: string;
  bookingIds: number[];
  groupedBookingId: string;
  userId: number;
  deviceIds: number[];
  startsAt: Date;
  endsAt: Date;
  status: string;
}

export interface SeededBookings {
  people: ScenarioPeople;
  /** The hand-placed bookings, by name. */
  placed: Record<string, PlacedBooking>;
  generatedRows: number;
}

export type BookingProgress = (done: number, total: number) => void;

export function scenarioPeople(people: SeededPeople): ScenarioPeople {
  const r = people.researchers;
  const s = people.students;
  return {
    holder: r[0] as SeededUser,
    challenger: r[1] as SeededUser,
    owner: r[2] as SeededUser,
    maintenanceBooker: r[3] as SeededUser,
    nearLimit: s[0] as SeededUser,
    requester: s[1] as SeededUser,
    topologyStudent: s[2] as SeededUser,
  };
}

/** Total reservations the options produce: full days of history, the coming days half booked. */
export function plannedReservations(options: {
  historyDays: number;
  futureDays: number;
  bookingsPerDay: number;
}) {
  return (
    options.historyDays * options.bookingsPerDay + options.futureDays * Math.ceil(options.bookingsPerDay / 2)
  );
}

function pool(users: SeededUser[]): UserPool {
  const weight = { researcher: 3, student: 2, manager: 1, admin: 0, viewer: 0 } as const;
  const owners: number[] = [];
  users.forEach((u, i) => {
    for (let n = 0; n < weight[u.kind]; n++) owners.push(i);
  });
  return { ids: users.map((u) => u.id), names: users.map((u) => u.username), owners };
}

export async function seedBookings(
  ctx: SeedContext,
  people: SeededPeople,
  devices: SeededDevices,
  onProgress: BookingProgress = () => {},
): Promise<SeededBookings> {
  const scenario = scenarioPeople(people);
  const scenarioIds = new Set(Object.values(scenario).map((u) => u.id));
  const booking = people.users.filter(
    (u) =>
      (u.kind === 'researcher' || u.kind === 'student' || u.kind === 'manager') &&
      u.roleStatus !== 'suspended',
  );
  const all = pool(booking);
  const recent = pool(booking.filter((u) => !scenarioIds.has(u.id)));

  const bookable = devices.bookable.map((d): [number, number, boolean] => [
    d.schedulerId as number,
    // Popularity: some devices are in demand, some gather dust.
    Math.round((0.3 + ctx.rng.next() * ctx.rng.next() * 3) * 1000) / 1000,
    d.plan.scenario !== null,
  ]);
  const free = bookable.filter(([, , reserved]) => !reserved).length;
  const { bookingsPerDay, historyDays, futureDays } = ctx.options;
  const capacity = Math.floor(slotsPerDay(free) * 0.8);
  if (bookingsPerDay > capacity) {
    throw new SeedOptionsError(
      `seed option bookingsPerDay is ${bookingsPerDay}, but ${free} bookable devices hold at most ${capacity} ` +
        'reservations a day without overlaps; ask for more devices or fewer bookings',
    );
  }

  const total = plannedReservations(ctx.options);
  const stamp = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
  const base = {
    seed: ctx.options.seed,
    day0: ctx.day0.toISOString().slice(0, 10),
    now: stamp(ctx.options.now),
    boundary: stamp(at(ctx, -7)),
    devices: bookable,
    all,
    recent,
    comments: [...BOOKING_COMMENTS],
  };
  let done = 0;
  let generatedRows = 0;
  const phases = [
    { from: -historyDays, to: -1, perDay: bookingsPerDay },
    { from: 0, to: futureDays - 1, perDay: Math.ceil(bookingsPerDay / 2) },
  ];
  for (const phase of phases) {
    if (phase.perDay === 0) continue;
    const step = Math.max(1, Math.floor(CHUNK_RESERVATIONS / phase.perDay));
    for (let from = phase.from; from <= phase.to; from += step) {
      const to = Math.min(phase.to, from + step - 1);
      generatedRows += await insertGeneratedBookings(ctx.db, {
        ...base,
        fromDay: from,
        toDay: to,
        perDay: phase.perDay,
      });
      done += (to - from + 1) * phase.perDay;
      onProgress(done, total);
    }
  }

  const placed = await placeScenarioBookings(ctx, scenario, devices);
  await seedFavorites(ctx);
  return { people: scenario, placed, generatedRows };
}

interface Placement {
  key: string;
  user: SeededUser;
  devices: ScenarioDeviceKey[];
  day: number;
  from: number;
  to: number;
  status: string;
  collaborators?: SeededUser[];
  comment?: string;
}

/** The scenario's bookings; none of the confirmed ones overlap on a device. */
function placements(p: ScenarioPeople): Placement[] {
  return [
    // The past week, on the scenario's devices only (nothing else is booked there since).
    {
      key: 'holderPast',
      user: p.holder,
      devices: ['conflict'],
      day: -2,
      from: 9,
      to: 12,
      status: 'completed',
    },
    {
      key: 'challengerPast',
      user: p.challenger,
      devices: ['freeGenerator'],
      day: -4,
      from: 13,
      to: 17,
      status: 'completed',
    },
    { key: 'ownerPast', user: p.owner, devices: ['owned'], day: -2, from: 10, to: 14, status: 'completed' },
    {
      key: 'maintenancePast',
      user: p.maintenanceBooker,
      devices: ['maintenance'],
      day: -5,
      from: 9,
      to: 11,
      status: 'Completed',
    },
    {
      key: 'nearLimitPast',
      user: p.nearLimit,
      devices: ['freeAnalyzer'],
      day: -3,
      from: 9,
      to: 12,
      status: 'completed',
    },
    {
      key: 'requesterPast',
      user: p.requester,
      devices: ['freeAmplifier'],
      day: -6,
      from: 10,
      to: 12,
      status: 'canceled',
    },
    {
      key: 'studentPast',
      user: p.topologyStudent,
      devices: ['freeAmplifier'],
      day: -1,
      from: 14,
      to: 16,
      status: 'completed',
    },
    // What the event script plays against.
    {
      key: 'conflictHeld',
      user: p.holder,
      devices: ['conflict'],
      day: 1,
      from: 9,
      to: 13,
      status: 'confirmed',
      comment: 'ROADM express path test',
    },
    {
      key: 'ownerUpcoming',
      user: p.owner,
      devices: ['owned'],
      day: 1,
      from: 13,
      to: 17,
      status: 'confirmed',
    },
    {
      key: 'nearLimitFirst',
      user: p.nearLimit,
      devices: ['freeGenerator'],
      day: 2,
      from: 10,
      to: 14,
      status: 'confirmed',
    },
    {
      key: 'nearLimitSecond',
      user: p.nearLimit,
      devices: ['freeAnalyzer'],
      day: 3,
      from: 14,
      to: 18,
      status: 'Confirmed',
    },
    {
      key: 'maintenanceAffected',
      user: p.maintenanceBooker,
      devices: ['maintenance'],
      day: 2,
      from: 8,
      to: 12,
      status: 'confirmed',
      collaborators: [p.topologyStudent],
      comment: 'coherent DSP firmware test',
    },
    // Topologies' bookings (seed-topologies.ts draws them).
    {
      key: 'topologyApproved',
      user: p.maintenanceBooker,
      devices: ['freeGenerator', 'freeAmplifier', 'freeAnalyzer'],
      day: 5,
      from: 9,
      to: 17,
      status: 'confirmed',
      comment: 'amplified span test',
    },
    {
      key: 'topologyConflicting',
      user: p.topologyStudent,
      devices: ['conflict', 'freeAnalyzer'],
      day: 1,
      from: 10,
      to: 12,
      status: 'pending',
    },
    {
      key: 'topologyClean',
      user: p.challenger,
      devices: ['freeGenerator', 'freeAnalyzer'],
      day: 4,
      from: 9,
      to: 12,
      status: 'confirmed',
    },
  ];
}

async function placeScenarioBookings(
  ctx: SeedContext,
  people: ScenarioPeople,
  devices: SeededDevices,
): Promise<Record<string, PlacedBooking>> {
  const list = placements(people);
  const rows: Array<Record<string, unknown>> = [];
  const meta = list.map((pl) => {
    const gid = uuidFrom(ctx.rng.hex(32));
    const startsAt = at(ctx, pl.day, pl.from * 60);
    const endsAt = at(ctx, pl.day, pl.to * 60);
    const createdAt = new Date(Math.min(startsAt.getTime(), ctx.options.now.getTime()) - 3 * 86_400_000);
    const deviceIds = pl.devices.map((k) => devices.scenario[k].schedulerId as number);
    for (const deviceId of deviceIds) {
      const common = { device_id: deviceId, grouped_booking_id: gid, start_time: startsAt, end_time: endsAt };
      rows.push({
        ...common,
        user_id: pl.user.id,
        is_collaborator: false,
        status: pl.status,
        comment: pl.comment ?? null,
        collaborators: json((pl.collaborators ?? []).map((c) => c.username)),
        created_at: createdAt,
      });
      for (const c of pl.collaborators ?? []) {
        rows.push({
          ...common,
          user_id: c.id,
          is_collaborator: true,
          status: pl.status,
          comment: null,
          collaborators: json([]),
          created_at: createdAt,
        });
      }
    }
    return { pl, gid, startsAt, endsAt, deviceIds };
  });
  const inserted = await insertRows<{
    booking_id: number;
    grouped_booking_id: string;
    is_collaborator: boolean;
  }>(ctx.db, 'booking_table', rows, ['booking_id', 'grouped_booking_id', 'is_collaborator']);
  const out: Record<string, PlacedBooking> = {};
  for (const m of meta) {
    out[m.pl.key] = {
      key: m.pl.key,
      bookingIds: inserted
        .filter((r) => r.grouped_booking_id === m.gid && !r.is_collaborator)
        .map((r) => r.booking_id)
        .sort((a, b) => a - b),
      groupedBookingId: m.gid,
      userId: m.pl.user.id,
      deviceIds: m.deviceIds,
      startsAt: m.startsAt,
      endsAt: m.endsAt,
      status: m.pl.status,
    };
  }
  return out;
}

function uuidFrom(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Every third user saves their latest completed reservation as a favourite. */
async function seedFavorites(ctx: SeedContext): Promise<void> {
  await ctx.db.raw(`
    WITH latest AS (
      SELECT DISTINCT ON (user_id) user_id, grouped_booking_id, end_time
        FROM booking_table
       WHERE NOT is_collaborator AND status_canonical = 'completed' AND user_id % 3 = 0
       ORDER BY user_id, end_time DESC, grouped_booking_id)
    INSERT INTO booking_favorite (user_id, name, grouped_booking_id, device_snapshot, created_at, updated_at)
    SELECT l.user_id, 'My ' || lower(coalesce(btrim(min(d."deviceType")), 'device')) || ' setup',
           l.grouped_booking_id,
           json_agg(json_build_object('id', d.id, 'polatis_name', d.polatis_name, 'deviceName', d."deviceName")
                    ORDER BY d.id),
           l.end_time, l.end_time
      FROM latest l
      JOIN booking_table b ON b.grouped_booking_id = l.grouped_booking_id AND NOT b.is_collaborator
      JOIN device_table d ON d.id = b.device_id
     GROUP BY l.user_id, l.grouped_booking_id, l.end_time
     ORDER BY l.user_id`);
}
