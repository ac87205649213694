/**
 * Facts about a topology (topology_table: nodes and edges a user drew) for `appliesTo:
 * topology` policies. Nodes are matched to scheduler devices by the topology review (by
 * data.deviceId or polatis name, as in docs/topologies.md); the counts below are what policies
 * limit. Built by src/topologies/policies.ts.
 */
import { z } from 'zod';
import { field } from './shape';

export const topologyFact = z.strictObject({
  id: field(z.int(), 'The topology (topology_table.id).', 31),
  name: field(z.string(), 'Its name.', 'coherent-link-test'),
  nodeCount: field(z.int(), 'Number of nodes drawn.', 6),
  edgeCount: field(z.int(), 'Number of edges (links) drawn.', 5),
  deviceCount: field(z.int(), 'Distinct scheduler devices the nodes refer to.', 5),
  deviceIds: field(z.array(z.int()), 'Those devices.', [12, 15, 18, 21, 22]),
  unknownNodeCount: field(z.int(), 'Nodes that refer to no known device.', 1),
  categories: field(z.array(z.string()), 'Distinct device categories in the topology, sorted.', [
    'amplifier',
    'test-equipment',
    'transceiver',
  ]),
  categoryCounts: field(z.record(z.string(), z.int()), 'Number of devices per category.', {
    amplifier: 2,
    'test-equipment': 1,
    transceiver: 2,
  }),
  deviceTypes: field(z.array(z.string()), 'Distinct device type names, sorted.', ['EDFA', 'OTDR', 'QSFP28']),
  unschedulableCount: field(z.int(), 'Devices whose type may not be booked (is_schedulable false).', 0),
  ownedByAnotherCount: field(
    z.int(),
    'Devices that have owners (device_ownership rows not revoked), none of them the author.',
    1,
  ),
  ownedByAnotherIds: field(z.array(z.int()), 'Those devices, ascending.', [18]),
});
