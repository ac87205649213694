import assert from 'node:assert/strict';
import type { PortUsageFact } from '../../src/topologies/facts';
import { NOTES_CHARS } from '../../src/topologies/outcome';
import { parseTopology } from '../../src/topologies/parse';
import { topologyUsedPorts } from '../../src/topologies/review';
import {
  booking,
  device,
  edge,
  facts,
  hours,
  kinds,
  node,
  OTHER_USER,
  ofKind,
  REQUESTER,
  review,
} from './fixtures';

// Device N is patched to switch ports 2N-1 (In_Port) and 2N (Out_Port).
const twoDevices = facts([device(1), device(2)], { requesterBookings: [booking(1, 1, 5), booking(2, 1, 5)] });
const chain = [edge('e1', 'a', 'b')];
const ab = [node('a', 1), node('b', 2)];

describe('topologies/review', () => {
  describe('outcome', () => {
    it('approves a clean topology booked by its requester, resolving default ports', () => {
      const result = review(ab, chain, twoDevices);
      assert.deepEqual(result.findings, []);
      assert.equal(result.outcome, 'approved');
      assert.equal(result.conflictCount, 0);
      assert.equal(result.notes, 'Approved (no findings).');
      assert.deepEqual(
        result.usedPorts.map((p) => [p.deviceId, p.port, p.side]),
        [
          [1, 2, 'out'],
          [2, 3, 'in'],
        ],
      );
    });

    it('needs approval when there are warnings but no errors', () => {
      const result = review([...ab, { id: 'label', data: { text: 'hi' } }], chain, twoDevices);
      assert.equal(result.outcome, 'needs_approval');
      assert.equal(result.conflictCount, 0);
      assert.match(result.notes, /^Needs approval \(1 warning\): node "label" names no device/);
    });

    it('reports conflicts with conflict_count = number of error findings', () => {
      const result = review(
        [node('a', 1), node('b', 98), node('c', 99)],
        [edge('e1', 'a', 'b'), edge('e2', 'a', 'c')],
        twoDevices,
      );
      assert.equal(result.outcome, 'conflicts');
      assert.equal(result.conflictCount, result.findings.filter((f) => f.severity === 'error').length);
      assert.equal(result.conflictCount, 3); // two unknown devices, out-2 of device 1 used twice
      assert.match(result.notes, /^Conflicts \(3 errors\): node "b" names device 98, which does not exist; /);
    });

    it('is invalid when the JSON has shape errors, even alongside other conflicts', () => {
      const result = review([node('a', 99), 'junk'], chain, twoDevices);
      assert.equal(result.outcome, 'invalid');
      assert.deepEqual(kinds(result.findings), ['node_not_object', 'edge_unknown_node', 'unknown_device']);
      assert.match(result.notes, /^Invalid topology \(3 errors\): nodes\[1\] is "junk", not a node object/);
    });

    it('keeps notes short whatever the number of findings', () => {
      const nodes = Array.from({ length: 500 }, (_, i) => node(`n${i}`, 10_000 + i));
      const result = review(nodes, [], twoDevices);
      assert.equal(result.conflictCount, 500);
      assert.ok(result.notes.length <= NOTES_CHARS, `${result.notes.length}`);
      assert.match(result.notes, /\.\.\. and 497 more\.$/);
    });

    it('counts every finding but keeps a bounded list, saying what was left out', () => {
      const nodes = Array.from({ length: 300 }, (_, i) => node(`n${i}`, 10_000 + i));
      const result = review(nodes, [], twoDevices, { maxPerKind: 50 });
      assert.equal(result.conflictCount, 300);
      assert.equal(ofKind(result.findings, 'unknown_device').length, 50);
      const [truncated] = ofKind(result.findings, 'findings_truncated');
      assert.equal(truncated?.message, '250 more findings not listed (unknown_device 250)');
      assert.equal(truncated?.detail.errors, 250);
    });

    it('merges policy findings: they decide the outcome like any other', () => {
      const policy = {
        kind: 'policy' as const,
        severity: 'warning' as const,
        message: 'topology uses 2 devices; more than 1 needs an admin',
        detail: { limit: 1 },
      };
      const result = review(ab, chain, twoDevices, { policyFindings: [policy] });
      assert.equal(result.outcome, 'needs_approval');
      assert.deepEqual(result.findings, [policy]);
      const blocked = review(ab, chain, twoDevices, { policyFindings: [{ ...policy, severity: 'error' }] });
      assert.equal(blocked.outcome, 'conflicts');
      assert.equal(blocked.conflictCount, 1);
    });
  });

  describe('devices', () => {
    it('reports an unknown device id once, listing the nodes', () => {
      const result = review([node('a', 1), node('b', 42), node('c', '42')], [], twoDevices);
      const found = ofKind(result.findings, 'unknown_device');
      assert.equal(found.length, 1);
      assert.equal(found[0]?.message, 'nodes "b", "c" name device 42, which does not exist');
      assert.deepEqual([found[0]?.nodeId, found[0]?.deviceId], ['b', 42]);
    });

    it('finds devices by polatis name, case-insensitively, and reports unknown and ambiguous names', () => {
      const f = facts([device(1), device(2, { polatisName: 'twin' }), device(3, { polatisName: 'TWIN' })]);
      const result = review(
        [
          { id: 'a', data: { polatisName: 'POL-1' } },
          { id: 'b', data: { polatisName: 'nowhere' } },
          { id: 'c', data: { polatisName: 'twin' } },
        ],
        [],
        f,
      );
      assert.deepEqual(
        result.findings.filter((x) => x.severity === 'error').map((x) => [x.kind, x.message]),
        [
          ['unknown_device', 'node "b" names polatis name "nowhere", which no device has'],
          [
            'ambiguous_device',
            'node "c": polatis name "twin" belongs to 2 devices (2, 3); name the device by data.deviceId',
          ],
        ],
      );
      assert.deepEqual(result.usedPorts, []);
      assert.deepEqual(ofKind(result.findings, 'device_not_booked')[0]?.deviceId, 1);
    });

    it('reports a node whose device id and polatis name name different devices', () => {
      const result = review([node('a', 1, { polatisName: 'pol-2' })], [], twoDevices);
      assert.deepEqual(kinds(result.findings), ['device_ref_mismatch']);
      assert.equal(
        result.findings[0]?.message,
        'node "a": data.deviceId 1 is a device with polatis name "pol-1", but data.polatisName is "pol-2"',
      );
      assert.deepEqual(
        kinds(review([node('a', 1, { polatisName: ' POL-1 ' })], [], twoDevices).findings),
        [],
      );
    });

    it('warns when one device is placed on several nodes', () => {
      const result = review([node('a', 1), node('b', 1)], [], twoDevices);
      assert.deepEqual(
        result.findings.map((f) => [f.kind, f.severity, f.message]),
        [['duplicate_device', 'warning', 'device 1 is placed on 2 nodes ("a", "b")']],
      );
    });

    it('refuses devices that cannot be scheduled, and warns about devices without a type', () => {
      const f = facts(
        [device(1, { isSchedulable: false, deviceType: 'patch panel' }), device(2, { isSchedulable: null })],
        {
          requesterBookings: [booking(1, 1, 2), booking(2, 1, 2)],
        },
      );
      const result = review(ab, [], f);
      assert.deepEqual(
        result.findings.map((x) => [x.kind, x.severity, x.deviceId, x.message]),
        [
          [
            'device_not_schedulable',
            'error',
            1,
            'device 1 ("dev-1") is of type "patch panel", which cannot be scheduled',
          ],
          [
            'device_not_schedulable',
            'warning',
            2,
            'device 2 ("dev-2") has no device type, so whether it may be scheduled is unknown',
          ],
        ],
      );
    });

    it('refuses retired devices, by scheduler or inventory status', () => {
      const f = facts(
        [device(1, { schedulerStatus: 'Retired ' }), device(2, { inventoryStatus: 'decommissioned' })],
        {
          requesterBookings: [booking(1, 1, 2), booking(2, 1, 2)],
        },
      );
      assert.deepEqual(
        review(ab, [], f).findings.map((x) => [x.kind, x.message]),
        [
          ['device_retired', 'device 1 ("dev-1") has status "Retired "'],
          ['device_retired', 'device 2 ("dev-2") has inventory status "decommissioned"'],
        ],
      );
    });

    describe('maintenance', () => {
      const window = (
        from: number,
        to: number,
        source: 'device_table' | 'maintenance_record' = 'device_table',
      ) => ({
        startsAt: hours(from),
        endsAt: hours(to),
        source,
        recordId: source === 'maintenance_record' ? 77 : undefined,
        label: source === 'maintenance_record' ? 'calibration' : undefined,
      });
      const check = (
        windows: ReturnType<typeof window>[],
        bookings = [booking(1, 48, 50)],
        horizonHours?: number,
      ) =>
        review(
          [node('a', 1)],
          [],
          facts([device(1, { maintenance: windows })], { requesterBookings: bookings }),
          {
            horizonMs: horizonHours === undefined ? undefined : horizonHours * 3_600_000,
          },
        ).findings.filter((f) => f.kind === 'device_maintenance');

      it('is an error when it overlaps the requester booking', () => {
        const [f] = check([window(49, 60, 'maintenance_record')]);
        assert.equal(f?.severity, 'error');
        assert.equal(
          f?.message,
          'device 1 ("dev-1") has maintenance record 77 ("calibration") 2026-11-26T13:00Z–2026-11-27T00:00Z ' +
            "during the requester's booking " +
            `${f?.detail.bookingId} (2026-11-26T12:00Z–2026-11-26T14:00Z)`,
        );
      });

      it('is a warning when under way now or within the horizon but outside the booking', () => {
        const found = check([window(-1, 2), window(100, 101), window(24 * 8, 24 * 9)]);
        assert.deepEqual(
          found.map((f) => [f.severity, f.message]),
          [
            ['warning', 'device 1 ("dev-1") is under maintenance now (2026-11-24T11:00Z–2026-11-24T14:00Z)'],
            [
              'warning',
              'device 1 ("dev-1") has maintenance starting 2026-11-28T16:00Z, within 7 days (2026-11-28T16:00Z–2026-11-28T17:00Z)',
            ],
          ],
        );
      });

      it('is an error when under way now and the requester has no booking of the device', () => {
        assert.deepEqual(
          check([window(-1, 2)], []).map((f) => f.severity),
          ['error'],
        );
      });

      it('follows the horizon option and ignores windows that are over or unreadable', () => {
        assert.equal(check([window(30, 31)], undefined, 24).length, 0);
        assert.equal(check([window(30, 31)], undefined, 48).length, 1);
        assert.equal(
          check([window(-5, -1), window(10, 5), { ...window(1, 2), startsAt: new Date(Number.NaN) }]).length,
          0,
        );
      });

      it('is an error when the device status says maintenance', () => {
        const result = review([node('a', 1)], [], facts([device(1, { schedulerStatus: 'Maintenance' })]));
        assert.deepEqual(
          ofKind(result.findings, 'device_maintenance').map((f) => [f.severity, f.message]),
          [['error', 'device 1 ("dev-1") has status "Maintenance"']],
        );
      });
    });
  });

  describe('ports', () => {
    const ranged = facts([device(1, { inPort: 0, outPort: 0, polatisPortRange: '10-13' }), device(2)], {
      requesterBookings: [booking(1, 1, 5), booking(2, 1, 5)],
    });

    it('accepts range ports on either side and rejects ports outside In_Port, Out_Port and the range', () => {
      const result = review(
        ab,
        [
          edge('e1', 'a', 'b', { sourceHandle: 'out-10' }),
          edge('e2', 'b', 'a', { targetHandle: '11' }),
          edge('e3', 'a', 'b', { sourceHandle: '14', targetHandle: 'in-9' }),
        ],
        ranged,
      );
      assert.deepEqual(
        result.findings.map((f) => [f.kind, f.edgeId, f.deviceId, f.message]),
        [
          [
            'port_out_of_range',
            'e3',
            1,
            'edge "e3": source port 14 is not a port of device 1 (In_Port none, Out_Port none, polatis_port_range 10-13)',
          ],
          [
            'port_out_of_range',
            'e3',
            2,
            'edge "e3": target port 9 is not a port of device 2 (In_Port 3, Out_Port 4, no polatis_port_range)',
          ],
        ],
      );
    });

    it('reports an unreadable port range and falls back to In_Port and Out_Port', () => {
      const f = facts([device(1, { polatisPortRange: '1-8,,9' }), device(2)], {
        requesterBookings: [booking(1, 1, 5), booking(2, 1, 5)],
      });
      const result = review(ab, [edge('e1', 'a', 'b', { sourceHandle: '5' })], f);
      assert.deepEqual(kinds(result.findings), ['bad_port_range', 'port_out_of_range']);
      assert.equal(
        result.findings[0]?.message,
        'device 1 ("dev-1"): polatis_port_range "1-8,,9" cannot be read (item 2 is empty); only its In_Port and Out_Port are accepted',
      );
      assert.equal(result.findings[0]?.severity, 'warning');
    });

    it('reports an end without a port on a device that has none for that side', () => {
      const result = review(ab, chain, ranged);
      assert.deepEqual(
        result.findings.map((f) => [f.kind, f.message]),
        [
          [
            'port_missing',
            'edge "e1": its source node "a" (device 1) names no port and device 1 has no Out_Port ' +
              '(In_Port none, Out_Port none, polatis_port_range 10-13); name the port with sourceHandle',
          ],
        ],
      );
    });

    it('reports a handle whose side contradicts the device In_Port/Out_Port', () => {
      const result = review(ab, [edge('e1', 'a', 'b', { sourceHandle: 'out-1' })], twoDevices);
      assert.deepEqual(
        result.findings.map((f) => [f.kind, f.message]),
        [
          [
            'port_side_mismatch',
            'edge "e1": source out-1 uses port 1 of device 1 as its out side, but port 1 is its In_Port',
          ],
        ],
      );
    });

    it('reports an edge joining two out ports or two in ports', () => {
      const result = review(
        ab,
        [
          edge('e1', 'a', 'b', { sourceHandle: '2', targetHandle: '4' }),
          edge('e2', 'a', 'b', { sourceHandle: 'in', targetHandle: 'in' }),
        ],
        twoDevices,
      );
      assert.deepEqual(
        result.findings.map((f) => [f.kind, f.message]),
        [
          [
            'edge_direction',
            'edge "e1" joins two out ports (node "a" (device 1) and node "b" (device 2)); light runs from an out port to an in port',
          ],
          [
            'edge_direction',
            'edge "e2" joins two in ports (node "a" (device 1) and node "b" (device 2)); light runs from an out port to an in port',
          ],
        ],
      );
    });

    it('accepts an edge drawn backwards (from an in port to an out port)', () => {
      const result = review(ab, [edge('e1', 'a', 'b', { sourceHandle: 'in' })], twoDevices);
      assert.deepEqual(result.findings, []);
      assert.deepEqual(
        result.usedPorts.map((p) => [p.deviceId, p.port, p.side]),
        [
          [1, 1, 'in'],
          [2, 4, 'out'],
        ],
      );
    });

    it('reports a port used by two edges, also through two nodes of one device', () => {
      const result = review(
        [...ab, node('c', 3), node('a2', 1)],
        [edge('e1', 'a', 'b'), edge('e2', 'a2', 'c')],
        facts([device(1), device(2), device(3)], {
          requesterBookings: [1, 2, 3].map((d) => booking(d, 1, 2)),
        }),
      );
      assert.deepEqual(
        ofKind(result.findings, 'port_reused').map((f) => [f.edgeId, f.deviceId, f.message]),
        [
          [
            'e2',
            1,
            'edge "e2" uses port 2 of node "a2" (device 1), already used by edge "e1"; a switch port carries one connection',
          ],
        ],
      );
    });

    it('compares explicit ports of nodes whose device is unknown', () => {
      const result = review(
        [node('x', 500), node('y', 501)],
        [
          edge('e1', 'x', 'y', { sourceHandle: '5' }),
          edge('e2', 'x', 'y', { sourceHandle: '5', targetHandle: '9' }),
        ],
        twoDevices,
      );
      assert.deepEqual(kinds(result.findings), ['unknown_device', 'unknown_device', 'port_reused']);
    });

    it('reports an edge from a port to itself, but accepts a loop from out to in of one device', () => {
      const f = facts([device(1, { polatisPortRange: '10-12' })], { requesterBookings: [booking(1, 1, 2)] });
      const result = review(
        [node('a', 1)],
        [edge('e1', 'a', 'a', { sourceHandle: '10', targetHandle: '10' }), edge('loop', 'a', 'a')],
        f,
      );
      assert.deepEqual(
        result.findings.map((x) => [x.kind, x.edgeId, x.message]),
        [['self_loop', 'e1', 'edge "e1" connects port 10 of node "a" (device 1) to itself']],
      );
    });
  });

  describe('bookings', () => {
    it("reports the requester's booking overlapping another user's confirmed booking", () => {
      const mine = booking(1, 10, 20);
      const theirs = booking(1, 19, 30, { userId: OTHER_USER });
      const result = review(
        [node('a', 1)],
        [],
        facts([device(1)], { requesterBookings: [mine], otherBookings: [theirs] }),
      );
      assert.deepEqual(
        result.findings.map((f) => [f.kind, f.severity, f.deviceId, f.message]),
        [
          [
            'booking_conflict',
            'error',
            1,
            `the requester's booking ${mine.bookingId} of device 1 (2026-11-24T22:00Z–2026-11-25T08:00Z) overlaps ` +
              `user ${OTHER_USER}'s confirmed booking ${theirs.bookingId} (2026-11-25T07:00Z–2026-11-25T18:00Z)`,
          ],
        ],
      );
    });

    it('ignores touching windows, other devices, unconfirmed bookings, collaborator rows and past or cancelled bookings', () => {
      const mine = booking(1, 10, 20);
      const result = review(
        [node('a', 1), node('b', 2)],
        [],
        facts([device(1), device(2)], {
          requesterBookings: [mine, booking(2, 10, 20, { status: 'cancelled' }), booking(2, -10, -1)],
          otherBookings: [
            booking(1, 20, 30, { userId: OTHER_USER }),
            booking(1, 0, 10, { userId: OTHER_USER }),
            booking(1, 12, 14, { userId: OTHER_USER, status: 'pending' }),
            booking(1, 12, 14, { userId: OTHER_USER, groupedBookingId: mine.groupedBookingId }),
            booking(1, 12, 14, { userId: REQUESTER }),
            booking(2, 12, 14, { userId: OTHER_USER }),
            booking(3, 12, 14, { userId: OTHER_USER }),
          ],
        }),
      );
      assert.deepEqual(kinds(result.findings), ['device_not_booked']);
      assert.equal(
        result.findings[0]?.message,
        '1 device has no current booking by the requester (2); booking and optical-path conflicts were not checked for them',
      );
    });
  });

  describe('optical paths across topologies', () => {
    // Topology A (approved, another user's) and topology B (under review) both patch device 1's
    // Out_Port (switch port 2) to device 2's In_Port (switch port 3).
    const nodesJson = JSON.stringify(ab);
    const edgesJson = JSON.stringify(chain);
    const devices = [device(1), device(2)];

    function usageOfApprovedTopology(from: number, to: number): PortUsageFact[] {
      // What the DB loader does for another approved topology: parse it, learn its ports,
      // and attach its owner's booking windows of those devices.
      const usedPorts = topologyUsedPorts(
        parseTopology({ nodes: nodesJson, edges: edgesJson }),
        facts(devices),
      );
      return usedPorts.map((p) => ({
        topologyId: 2,
        deviceId: p.deviceId,
        port: p.port,
        startsAt: hours(from),
        endsAt: hours(to),
        bookingId: 900 + p.deviceId,
      }));
    }

    const reviewB = (usage: PortUsageFact[]) =>
      review(
        ab,
        chain,
        facts(devices, {
          topologyId: 1,
          requesterBookings: [booking(1, 10, 20), booking(2, 10, 20)],
          otherTopologyPorts: usage,
        }),
      );

    it('reports every switch port also used by an approved topology in an overlapping window', () => {
      const result = reviewB(usageOfApprovedTopology(15, 25));
      assert.equal(result.outcome, 'conflicts');
      const found = ofKind(result.findings, 'optical_path_conflict');
      assert.deepEqual(
        found.map((f) => [f.edgeId, f.nodeId, f.deviceId, f.detail.port, f.detail.otherTopologyId]),
        [
          ['e1', 'a', 1, 2, 2],
          ['e1', 'b', 2, 3, 2],
        ],
      );
      assert.match(
        found[0]?.message ?? '',
        /^switch port 2 of device 1 \(edge "e1"\) is needed during booking \d+ \(2026-11-24T22:00Z–2026-11-25T08:00Z\) but approved topology 2 uses it 2026-11-25T03:00Z–2026-11-25T13:00Z$/,
      );
    });

    it('accepts the same ports in windows that do not overlap', () => {
      assert.deepEqual(reviewB(usageOfApprovedTopology(20, 30)).findings, []);
      assert.deepEqual(reviewB(usageOfApprovedTopology(0, 10)).findings, []);
    });

    it('ignores its own earlier usage and other ports', () => {
      const own = usageOfApprovedTopology(15, 25).map((u) => ({ ...u, topologyId: 1 }));
      const elsewhere = usageOfApprovedTopology(15, 25).map((u) => ({ ...u, port: u.port + 100 }));
      assert.deepEqual(reviewB([...own, ...elsewhere]).findings, []);
    });

    it('does not check ports of devices the requester has not booked', () => {
      const result = review(
        ab,
        chain,
        facts(devices, { otherTopologyPorts: usageOfApprovedTopology(15, 25) }),
      );
      assert.deepEqual(kinds(result.findings), ['device_not_booked']);
    });
  });
});
