/** Topology events: a user's topology (`topology_table` row) needs a review. */
import { rowId } from './common';
import { defineJob, event } from './job';

const topologyId = rowId('topology_table.id of the topology.');

export const TOPOLOGY_JOBS = [
  defineJob({
    name: 'topology.submitted',
    queue: 'topologies',
    description:
      'A topology was submitted for review. The worker reviews it and records the outcome and findings.',
    schema: event({ topologyId }),
    example: {
      eventId: '9e8d7c6b-5a49-4382-a716-2514131211a1',
      occurredAt: '2026-11-24T11:00:00Z',
      topologyId: 55,
    },
  }),
  defineJob({
    name: 'topology.updated',
    queue: 'topologies',
    description: 'A topology (nodes or edges) changed. The worker reviews the current version again.',
    schema: event({ topologyId }),
    example: {
      eventId: '9e8d7c6b-5a49-4382-a716-2514131211a2',
      occurredAt: '2026-11-24T11:05:00Z',
      topologyId: 55,
    },
  }),
  defineJob({
    name: 'topology.recheck',
    queue: 'topologies',
    description:
      'Something the review depends on changed (a device, a rule): the worker reviews the topology again without it having changed.',
    schema: event({ topologyId }),
    example: {
      eventId: '9e8d7c6b-5a49-4382-a716-2514131211a3',
      occurredAt: '2026-11-24T11:10:00Z',
      topologyId: 55,
    },
  }),
] as const;
