/**
 * The enforcement mode: admin_settings `rules.enforcement`, a JSON string, "advisory" (the
 * default: decisions are recorded, bookings untouched) or "enforce" (a pending booking's status
 * follows its decision). Read in the event's transaction for every decision, so a change of the
 * setting applies to the next decision without a restart.
 */
import type { Knex } from 'knex';
import { ADMIN_SETTING_TABLE, type DecisionMode } from '../db/models';
import type { Logger } from '../logger';
import { parseRuleSettings, SETTING_KEYS } from '../rules/facts/settings';

/** An invalid value counts as advisory, with a warning naming the value: never a failed job. */
export async function readEnforcementMode(
  db: Knex | Knex.Transaction,
  logger?: Logger,
): Promise<DecisionMode> {
  const row = (await db(ADMIN_SETTING_TABLE).where({ key: SETTING_KEYS.enforcement }).first('value')) as
    | { value: unknown }
    | undefined;
  if (!row) return 'advisory';
  const { settings, problems } = parseRuleSettings([{ key: SETTING_KEYS.enforcement, value: row.value }]);
  for (const problem of problems) {
    logger?.warn(
      { setting: SETTING_KEYS.enforcement, value: row.value },
      `${problem}: deciding in advisory mode`,
    );
  }
  return settings.enforcement;
}
