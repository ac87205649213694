import assert from 'node:assert/strict';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { insertDeviceType, insertInventoryDevice, insertSchedulerDevice } from '../support/legacy';

describe('alignment: two legacy writers adding devices that match one inventory device', () => {
  let db: TestDatabase;
  before(async () => {
    db = await migratedDatabase();
  });
  after(() => db?.drop());

  it('links the first, leaves the second unlinked and reported, and fails neither write', async () => {
    const type = await insertDeviceType(db.knex, { name: 'Switch' });
    const inv = await insertInventoryDevice(db.knex, { polatis_name: 'POL-7', device_type_id: type });
    const first = await db.knex.transaction();
    const second = await db.knex.transaction();
    try {
      const a = await insertSchedulerDevice(first, { polatis_name: 'POL-7' });
      // The second writer waits for the first one's linking lock...
      let secondDone = false;
      const b = insertSchedulerDevice(second, { polatis_name: 'pol-7 ' }).then((id) => {
        secondDone = true;
        return id;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(secondDone, false, 'the second writer waits for the first');
      await first.commit();
      // ...then sees its link and does not claim the same inventory device.
      const bId = await b;
      await second.commit();
      const { rows } = await db.knex.raw(
        'SELECT device_id, inventory_device_id, category FROM alignment_device_link_status() ORDER BY device_id',
      );
      assert.deepEqual(rows, [
        { device_id: a, inventory_device_id: inv, category: 'matched_exact' },
        { device_id: bId, inventory_device_id: null, category: 'ambiguous' },
      ]);
    } finally {
      if (!first.isCompleted()) await first.rollback();
      if (!second.isCompleted()) await second.rollback();
    }
  });
});
