// A candidate edit of the shipped rules, as an admin would make it: a new rule denying long
// bookings of fragile devices (worked example 1 of docs/rules.md), and the owner's approval
// demoted to a flag.
import type { TempRules } from '../support/tmp-rules';

export const FRAGILE_RULE = {
  name: 'fragile-long-booking',
  description: 'Fragile devices wear with long sessions; owners decide for their own devices.',
  conditions: {
    all: [
      { fact: 'device', path: 'tags', operator: 'contains', value: 'fragile' },
      { fact: 'booking', path: 'durationHours', operator: 'greaterThan', value: 4 },
      { fact: 'ownership', path: 'requesterIsOwner', operator: 'equal', value: false },
    ],
  },
  event: {
    type: 'deny',
    params: {
      code: 'FRAGILE_TOO_LONG',
      message:
        '{{device.name}} is fragile: bookings of more than 4 hours are for its owners ({{ownership.ownerNames}}).',
    },
  },
};

export async function writeCandidate(rules: TempRules): Promise<void> {
  const conflicts = JSON.parse(await rules.read('conflicts.json'));
  conflicts.rules.push(FRAGILE_RULE);
  await rules.write('conflicts.json', JSON.stringify(conflicts, null, 2));
  const limits = JSON.parse(await rules.read('ownership-limits.json'));
  const owner = limits.rules.find((r: { name: string }) => r.name === 'device-owned-by-another');
  owner.event.type = 'flag';
  delete owner.event.params.approver;
  await rules.write('ownership-limits.json', JSON.stringify(limits, null, 2));
}
