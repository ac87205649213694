/**
 * How big a lab to seed. The defaults are the demo's lab; benchmarks and the soak test ask for
 * larger ones (e.g. 500 devices and 1,370 reservations a day over two years: about 1,000,000
 * reservations). The same options and seed give the same lab, shifted to `now`.
 */

export interface SeedOptions {
  /** Seed of the pseudo-random choices. */
  seed: number;
  /** The lab's present: history ends and the coming week starts here. Default: this hour. */
  now: Date;
  /** Sites, each with its own Polatis switch (1 to 3). */
  sites: number;
  /** Inventory devices (`devices`), switches and servers included. */
  devices: number;
  /** Users (`user_table`). */
  users: number;
  /** Days of booking history before `now`. */
  historyDays: number;
  /** Days of bookings from the start of today on (the coming week). */
  futureDays: number;
  /** Reservations (grouped bookings) per day, exactly, across the lab. */
  bookingsPerDay: number;
}

export const SEED_DEFAULTS = Object.freeze({
  seed: 1,
  sites: 3,
  devices: 36,
  users: 24,
  historyDays: 30,
  futureDays: 7,
  bookingsPerDay: 20,
});

/** Limits of the generator; beyond them the lab is not realistic or does not fit. */
export const SEED_LIMITS = Object.freeze({
  sites: [1, 3],
  devices: [20, 20_000],
  users: [16, 100_000],
  historyDays: [8, 3_650],
  futureDays: [3, 60],
  bookingsPerDay: [0, 1_000_000],
  seed: [0, 2_147_483_647],
} as const);

export class SeedOptionsError extends Error {
  override readonly name = 'SeedOptionsError';
}

/** The start of the hour, so two seeds started in the same hour give the same lab. */
export function currentHour(date = new Date()): Date {
  const d = new Date(date);
  d.setUTCMinutes(0, 0, 0);
  return d;
}

export function resolveSeedOptions(input: Partial<SeedOptions> = {}): SeedOptions {
  const options: SeedOptions = {
    ...SEED_DEFAULTS,
    now: currentHour(),
    ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)),
  };
  for (const [name, [min, max]] of Object.entries(SEED_LIMITS)) {
    const value = options[name as keyof typeof SEED_LIMITS];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new SeedOptionsError(
        `seed option ${name} is ${JSON.stringify(value)}; expected a whole number from ${min} to ${max}`,
      );
    }
  }
  if (!(options.now instanceof Date) || Number.isNaN(options.now.getTime())) {
    throw new SeedOptionsError(`seed option now is ${String(options.now)}; expected a valid Date`);
  }
  return options;
}
