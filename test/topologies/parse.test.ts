import assert from 'node:assert/strict';
import { parseTopology } from '../../src/topologies/parse';
import { edge, kinds, node, ofKind } from './fixtures';

const parse = (nodes: unknown, edges: unknown = []) => parseTopology({ nodes, edges });

describe('topologies/parse', () => {
  const nodes = [node('a', 1), node('b', '2'), { id: 'c', data: { polatisName: '  SW-3 ' } }];
  const edges = [edge('e1', 'a', 'b', { sourceHandle: 'out-2', targetHandle: 'in-3' }), edge('e2', 'b', 'c')];

  it('reads parsed JSON and JSON text from a legacy writer into the same graph', () => {
    const fromValues = parse(nodes, edges);
    const fromText = parse(JSON.stringify(nodes), JSON.stringify(edges));
    assert.deepEqual(fromValues.findings, []);
    assert.deepEqual(fromText, fromValues);
    assert.deepEqual(
      fromValues.nodes.map((n) => [n.id, n.deviceId, n.polatisName]),
      [
        ['a', 1, null],
        ['b', 2, null],
        ['c', null, 'SW-3'],
      ],
    );
    const [e1, e2] = fromValues.edges;
    assert.deepEqual(
      [e1?.source.port, e1?.source.side, e1?.target.port, e1?.target.side],
      [2, 'out', 3, 'in'],
    );
    assert.deepEqual([e2?.source.port, e2?.source.side, e2?.target.port], [null, null, null]);
  });

  it('decodes JSON text encoded twice, with a note', () => {
    const result = parse(JSON.stringify(JSON.stringify(nodes)), '[]');
    assert.equal(result.nodes.length, 3);
    assert.deepEqual(kinds(result.findings), ['double_encoded']);
    assert.equal(result.findings[0]?.severity, 'info');
  });

  for (const column of ['nodes', 'edges'] as const) {
    it(`reports ${column} text that is not JSON, naming the column and the text`, () => {
      const input = { nodes: '[]', edges: '[]', [column]: '[{"id": "a",' };
      const result = parseTopology(input);
      const [finding] = ofKind(result.findings, 'not_json');
      assert.equal(finding?.severity, 'error');
      assert.match(
        finding?.message ?? '',
        new RegExp(`^${column} is not valid JSON .*text starts "\\[\\{\\\\"id`),
      );
      assert.equal(finding?.detail.field, column);
    });

    for (const [label, value, shown] of [
      ['an object', { id: 'a' }, 'an object'],
      ['null', null, 'null'],
      ['a number', 42, '42'],
      ['JSON text of an object', '{"a": 1}', 'an object'],
      ['a JSON string that is not JSON', '"hello"', 'not valid JSON'],
    ] as const) {
      it(`reports ${column} given as ${label}`, () => {
        const result = parseTopology({ nodes: [], edges: [], [column]: value });
        assert.equal(result.findings.length, 1, JSON.stringify(result.findings));
        assert.equal(result.findings[0]?.severity, 'error');
        assert.match(result.findings[0]?.message ?? '', new RegExp(shown));
      });
    }
  }

  it('refuses lists and texts beyond the limits instead of working through them', () => {
    const big = parseTopology(
      { nodes: Array.from({ length: 11 }, (_, i) => node(`n${i}`, 1)), edges: [] },
      {
        maxElements: 10,
      },
    );
    assert.deepEqual(kinds(big.findings), ['too_large']);
    assert.match(big.findings[0]?.message ?? '', /nodes holds 11 entries; at most 10 are reviewed/);
    const long = parseTopology({ nodes: '[]', edges: ` ${'[]'.padEnd(100)}` }, { maxTextChars: 50 });
    assert.deepEqual(kinds(long.findings), ['too_large']);
    assert.match(long.findings[0]?.message ?? '', /edges is 101 characters of text/);
  });

  it('says nothing about edge endpoints when the node list is unusable', () => {
    const result = parse({ not: 'a list' }, edges);
    assert.deepEqual(kinds(result.findings), ['not_a_list']);
    assert.equal(result.edges.length, 2);
  });

  it('reports entries that are not node objects, with their index', () => {
    const result = parse([node('a', 1), 'b', [1], null]);
    assert.deepEqual(
      result.findings.map((f) => f.message),
      [
        'nodes[1] is "b", not a node object',
        'nodes[2] is an array of 1, not a node object',
        'nodes[3] is null, not a node object',
      ],
    );
    assert.deepEqual(
      result.nodes.map((n) => n.id),
      ['a'],
    );
  });

  it('reports nodes without a usable id and accepts numeric ids as text', () => {
    const result = parse([
      { data: { deviceId: 1 } },
      { id: '  ', data: { deviceId: 1 } },
      { id: { x: 1 } },
      node(7 as never, 3),
    ]);
    assert.deepEqual(
      result.findings.map((f) => [f.kind, f.message]),
      [
        ['node_bad_id', 'nodes[0] has no id'],
        ['node_bad_id', 'nodes[1] has id "  "; a node id is a non-empty string'],
        ['node_bad_id', 'nodes[2] has id an object; a node id is a non-empty string'],
      ],
    );
    assert.deepEqual(
      result.nodes.map((n) => n.id),
      ['7'],
    );
  });

  it('keeps the first of two nodes with the same id', () => {
    const result = parse([node('a', 1), node('b', 2), node('a', 3)]);
    const [finding] = result.findings;
    assert.equal(finding?.kind, 'duplicate_node_id');
    assert.equal(finding?.nodeId, 'a');
    assert.equal(finding?.message, 'nodes[2] repeats node id "a" of nodes[0]; the later node is ignored');
    assert.deepEqual(
      result.nodes.map((n) => [n.id, n.deviceId]),
      [
        ['a', 1],
        ['b', 2],
      ],
    );
  });

  for (const [value, shown] of [
    ['abc', '"abc"'],
    [1.5, '1.5'],
    [0, '0'],
    [-4, '-4'],
    ['12a', '"12a"'],
    [3_000_000_000, '3000000000'],
    [true, 'true'],
  ] as const) {
    it(`refuses data.deviceId ${shown}`, () => {
      const result = parse([node('a', value as never)]);
      assert.deepEqual(kinds(result.findings), ['bad_device_ref']);
      assert.match(
        result.findings[0]?.message ?? '',
        new RegExp(`^node "a": data.deviceId is ${shown.replace('.', '\\.')}; expected a device id`),
      );
      assert.equal(result.nodes[0]?.deviceId, null);
    });
  }

  it('refuses an empty polatis name and data that is not an object', () => {
    const result = parse([
      { id: 'a', data: { polatisName: ' ' } },
      { id: 'b', data: ['x'] },
    ]);
    assert.deepEqual(
      result.findings.map((f) => f.message),
      [
        'node "a": data.polatisName is " "; expected a non-empty text',
        'node "b": data is an array of 1; expected an object with deviceId or polatisName',
      ],
    );
  });

  it('warns about a node that names no device, except a group node drawn around devices', () => {
    const result = parse([
      { id: 'note', type: 'label', data: { label: 'rack 3' } },
      { id: 'rack', type: 'group', data: { label: 'rack 3' } },
      { id: 'rack2', type: 'group' },
    ]);
    assert.deepEqual(kinds(result.findings), ['node_without_device']);
    assert.equal(result.findings[0]?.nodeId, 'note');
    assert.equal(result.findings[0]?.severity, 'warning');
    assert.equal(result.nodes.length, 3);
  });

  it('reports edges that are not objects, and names edges without ids by their index', () => {
    const result = parse(
      [node('a', 1), node('b', 2)],
      [42, { source: 'a', target: 'b' }, edge('e', 'a', 'b'), edge('e', 'b', 'a')],
    );
    assert.deepEqual(
      result.findings.map((f) => [f.kind, f.severity, f.message]),
      [
        ['edge_not_object', 'error', 'edges[0] is 42, not an edge object'],
        ['edge_bad_id', 'info', 'edges[1] has no id; it is called "#1" in these findings'],
        ['duplicate_edge_id', 'info', 'edges[3] repeats edge id "e" of edges[2]'],
      ],
    );
    assert.deepEqual(
      result.edges.map((e) => e.id),
      ['#1', 'e', 'e'],
    );
  });

  it('reports edges without an endpoint and edges to a node that does not exist', () => {
    const result = parse(
      [node('a', 1)],
      [{ id: 'e1', target: 'a' }, edge('e2', 'a', 'ghost'), { id: 'e3', source: { id: 'a' }, target: 'a' }],
    );
    assert.deepEqual(
      result.findings.map((f) => [f.kind, f.message]),
      [
        ['edge_missing_endpoint', 'edge "e1" has no source'],
        ['edge_unknown_node', 'edge "e2": target "ghost" is not a node of this topology'],
        ['edge_missing_endpoint', 'edge "e3" has source an object; expected a node id'],
      ],
    );
    assert.equal(result.edges.length, 0);
  });

  for (const [field, value, reason] of [
    ['sourceHandle', 3.5, '3.5 is not a whole number'],
    ['sourceHandle', '0', 'port "0" is outside 1..65535'],
    ['targetHandle', 'eth0', '"eth0" is not a port'],
    ['targetHandle', 'in-3-4', '"in-3-4" is not a port'],
    ['targetHandle', { port: 3 }, 'an object is not a port'],
  ] as const) {
    it(`refuses ${field} ${JSON.stringify(value)}`, () => {
      const result = parse([node('a', 1), node('b', 2)], [edge('e1', 'a', 'b', { [field]: value })]);
      assert.deepEqual(kinds(result.findings), ['bad_port']);
      assert.equal(
        result.findings[0]?.message,
        `edge "e1": ${field} ${reason}${reason.endsWith('not a port') ? ' (expected a port number, port-N, in-N, out-N, in or out)' : ''}`,
      );
      assert.equal(result.edges.length, 0, 'an edge with a bad port is left out of the graph');
    });
  }

  it('refuses a non-integer data.targetPort and edge data that is not an object', () => {
    const result = parse(
      [node('a', 1), node('b', 2)],
      [edge('e1', 'a', 'b', { data: { targetPort: '2.5' } }), edge('e2', 'a', 'b', { data: 'x' })],
    );
    assert.deepEqual(kinds(result.findings), ['bad_port', 'bad_port']);
    assert.match(result.findings[0]?.message ?? '', /^edge "e1": data.targetPort "2.5" is not a port/);
    assert.match(result.findings[1]?.message ?? '', /^edge "e2": data is "x"; expected an object/);
  });

  it('uses the handle when it and data.sourcePort disagree, and says so', () => {
    const result = parse(
      [node('a', 1), node('b', 2)],
      [
        edge('e1', 'a', 'b', { sourceHandle: 'out-4', data: { sourcePort: 6 } }),
        edge('e2', 'a', 'b', { targetHandle: 'in', data: { targetPort: 'out-3' } }),
        edge('e3', 'a', 'b', { sourceHandle: '4', data: { sourcePort: 'out-4' } }),
      ],
    );
    assert.deepEqual(
      result.findings.map((f) => [f.kind, f.edgeId, f.message]),
      [
        [
          'port_disagreement',
          'e1',
          'edge "e1": sourceHandle "out-4" names out-4 but data.sourcePort 6 names port 6; the handle is used',
        ],
        [
          'port_disagreement',
          'e2',
          'edge "e2": targetHandle "in" names its in port but data.targetPort "out-3" names out-3; the handle is used',
        ],
      ],
    );
    assert.deepEqual(
      result.edges.map((e) => [e.source.port, e.source.side, e.target.port, e.target.side]),
      [
        [4, 'out', null, null],
        [null, null, 3, 'in'],
        [4, 'out', null, null],
      ],
    );
  });

  it('reads ports from data when the edge has no handles', () => {
    const result = parse(
      [node('a', 1), node('b', 2)],
      [edge('e1', 'a', 'b', { data: { sourcePort: '2', targetPort: 3 } })],
    );
    assert.deepEqual(result.findings, []);
    assert.deepEqual([result.edges[0]?.source.port, result.edges[0]?.target.port], [2, 3]);
  });

  it('treats __proto__ and constructor as ordinary ids and keys', () => {
    const text =
      '[{"id":"__proto__","data":{"deviceId":1}},{"id":"constructor","data":{"__proto__":{"deviceId":9}}}]';
    const result = parse(text, [edge('e1', '__proto__', 'constructor'), edge('e2', 'toString', '__proto__')]);
    assert.deepEqual(
      result.nodes.map((n) => [n.id, n.deviceId]),
      [
        ['__proto__', 1],
        ['constructor', null],
      ],
    );
    assert.deepEqual(
      result.findings.map((f) => [f.kind, f.nodeId]),
      [
        ['node_without_device', 'constructor'],
        ['edge_unknown_node', 'toString'],
      ],
    );
    assert.equal(result.edges.length, 1);
  });
});
