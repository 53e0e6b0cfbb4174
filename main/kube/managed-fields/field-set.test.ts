import { describe, expect, it } from 'vitest';
import { FieldSet, FieldsV1Error } from './field-set';
import { fieldElement, keyElement, pathString, valueElement, type Path } from './path';

const f = fieldElement;
const k = (name: string) => keyElement([{ name: 'name', value: name }]);

function paths(set: FieldSet): string[] {
  return set.paths().map(pathString);
}

function of(...list: string[]): FieldSet {
  return FieldSet.of(...list.map((p): Path => p.split('.').map(f)));
}

describe('FieldSet', () => {
  it('holds members only, not their parents', () => {
    const set = of('spec.replicas');
    expect(set.has([f('spec'), f('replicas')])).toBe(true);
    expect(set.has([f('spec')])).toBe(false);
    expect(set.has([])).toBe(false);
    expect(FieldSet.of([]).isEmpty()).toBe(true);
  });

  it('unions, intersects and differences like fieldpath.Set', () => {
    const a = of('a', 'b.c', 'b.d', 'e.f');
    const b = of('a', 'b.c', 'e', 'x');
    expect(paths(a.union(b))).toEqual(['.a', '.e', '.x', '.b.c', '.b.d', '.e.f']);
    expect(paths(a.intersection(b))).toEqual(['.a', '.b.c']);
    // A member of the other set does not remove the paths below it…
    expect(paths(a.difference(b))).toEqual(['.b.d', '.e.f']);
    // …unless the difference is recursive.
    expect(paths(a.recursiveDifference(b))).toEqual(['.b.d']);
    expect(paths(of('a', 'a.b', 'c.d').leaves())).toEqual(['.a.b', '.c.d']);
    expect(a.size()).toBe(4);
    expect(a.union(b).difference(a.union(b)).isEmpty()).toBe(true);
    expect(a.equals(of('e.f', 'b.d', 'b.c', 'a'))).toBe(true);
  });

  it('never keeps empty child nodes', () => {
    const set = of('a.b').difference(of('a.b'));
    expect(set.isEmpty()).toBe(true);
    expect(set.toFieldsV1()).toEqual({});
  });

  it('round-trips FieldsV1, with `.` for nodes that are members and have children', () => {
    const fieldsV1 = {
      'f:metadata': { 'f:labels': { 'f:app': {}, '.': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"agent"}': { 'f:image': {}, 'f:name': {}, '.': {} },
          'k:{"name":"sidecar"}': {},
        },
        'f:finalizers': { 'v:"a"': {}, 'v:"b"': {} },
        'f:replicas': {},
      },
    };
    const set = FieldSet.fromFieldsV1(fieldsV1);
    expect(paths(set)).toEqual([
      '.metadata.labels',
      '.metadata.labels.app',
      '.spec.replicas',
      '.spec.containers[name="agent"]',
      '.spec.containers[name="sidecar"]',
      '.spec.containers[name="agent"].image',
      '.spec.containers[name="agent"].name',
      '.spec.finalizers[="a"]',
      '.spec.finalizers[="b"]',
    ]);
    expect(JSON.stringify(set.toFieldsV1())).toBe(JSON.stringify(fieldsV1));
    expect(set.has([f('spec'), f('containers'), k('sidecar')])).toBe(true);
    expect(set.has([f('spec'), f('finalizers'), valueElement('b')])).toBe(true);
  });

  it('writes keys in path-element order whatever order they were read in', () => {
    const set = FieldSet.fromFieldsV1({
      '.': {},
      'v:1': {},
      'k:{"name":"b"}': {},
      'f:z': {},
      'k:{"name":"a"}': {},
      'f:a': { '.': {}, 'f:x': {} },
    });
    expect(JSON.stringify(set.toFieldsV1())).toBe(
      '{"f:a":{"f:x":{},".":{}},"f:z":{},"k:{\\"name\\":\\"a\\"}":{},"k:{\\"name\\":\\"b\\"}":{},"v:1":{}}',
    );
  });

  it('skips unknown key kinds and rejects malformed FieldsV1', () => {
    expect(paths(FieldSet.fromFieldsV1({ 'f:a': { 'q:?': {} }, 'q:x': {} }))).toEqual(['.a']);
    expect(FieldSet.fromFieldsV1(null).isEmpty()).toBe(true);
    expect(() => FieldSet.fromFieldsV1({ 'k:{': {} })).toThrow(FieldsV1Error);
    expect(() => FieldSet.fromFieldsV1([])).toThrow(FieldsV1Error);
    expect(() => FieldSet.fromFieldsV1({ 'f:a': 1 })).toThrow(FieldsV1Error);
  });
});
