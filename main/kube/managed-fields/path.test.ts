import { describe, expect, it } from 'vitest';
import {
  comparePathElements,
  fieldElement,
  goJson,
  indexElement,
  keyElement,
  parsePathElement,
  PathElementError,
  pathString,
  valueElement,
} from './path';

describe('path elements', () => {
  it('serializes as FieldsV1 keys, with key fields sorted and values as Go JSON', () => {
    expect(fieldElement('image').id).toBe('f:image');
    expect(
      keyElement([
        { name: 'protocol', value: 'TCP' },
        { name: 'containerPort', value: 80 },
      ]).id,
    ).toBe('k:{"containerPort":80,"protocol":"TCP"}');
    expect(valueElement('foo').id).toBe('v:"foo"');
    expect(valueElement({ b: 1, a: '<x>' }).id).toBe('v:{"a":"\\u003cx\\u003e","b":1}');
    expect(indexElement(3).id).toBe('i:3');
  });

  it('parses FieldsV1 keys back, skipping unknown kinds and rejecting malformed ones', () => {
    const key = parsePathElement('k:{"protocol":"TCP","containerPort":80}');
    expect(key).toEqual(
      keyElement([
        { name: 'containerPort', value: 80 },
        { name: 'protocol', value: 'TCP' },
      ]),
    );
    expect(parsePathElement('v:"a"')).toEqual(valueElement('a'));
    expect(parsePathElement('i:12')).toEqual(indexElement(12));
    expect(parsePathElement('f:a.b')).toEqual(fieldElement('a.b'));
    expect(parsePathElement('z:whatever')).toBeUndefined();
    expect(() => parsePathElement('f')).toThrow(PathElementError);
    expect(() => parsePathElement('fx')).toThrow('missing colon: fx');
    expect(() => parsePathElement('k:{')).toThrow(PathElementError);
    expect(() => parsePathElement('i:x')).toThrow('strconv.Atoi: parsing "x": invalid syntax');
  });

  it('prints paths as conflict messages do', () => {
    expect(
      pathString([
        fieldElement('spec'),
        fieldElement('template'),
        fieldElement('spec'),
        fieldElement('containers'),
        keyElement([{ name: 'name', value: 'agent' }]),
        fieldElement('image'),
      ]),
    ).toBe('.spec.template.spec.containers[name="agent"].image');
    expect(
      pathString([
        fieldElement('ports'),
        keyElement([
          { name: 'protocol', value: 'TCP' },
          { name: 'containerPort', value: 80 },
        ]),
      ]),
    ).toBe('.ports[containerPort=80,protocol="TCP"]');
    expect(pathString([fieldElement('finalizers'), valueElement('foo')])).toBe(
      '.finalizers[="foo"]',
    );
    expect(pathString([fieldElement('args'), indexElement(3)])).toBe('.args[3]');
    expect(pathString([fieldElement('x'), valueElement('a"b\n')])).toBe('.x[="a\\"b\\n"]');
  });

  it('orders fields, then keys, then values, then indexes, as upstream serializes them', () => {
    const elements = [
      indexElement(2),
      valueElement(true),
      valueElement('b'),
      valueElement(10),
      keyElement([{ name: 'name', value: 'b' }]),
      keyElement([{ name: 'name', value: 'a' }]),
      fieldElement('b'),
      fieldElement('B'),
      fieldElement('\u{1F600}'),
      fieldElement('\uFFFD'),
      valueElement(null),
      valueElement(2.5),
      indexElement(1),
    ];
    expect(elements.sort(comparePathElements).map((e) => e.id)).toEqual([
      'f:B',
      'f:b',
      'f:\uFFFD',
      'f:\u{1F600}',
      'k:{"name":"a"}',
      'k:{"name":"b"}',
      'v:2.5',
      'v:10',
      'v:"b"',
      'v:true',
      'v:null',
      'i:1',
      'i:2',
    ]);
  });

  it('writes JSON as Go does: sorted keys, HTML-safe', () => {
    expect(goJson({ z: [1, 'a&b'], a: null, m: { y: true, x: false } })).toBe(
      '{"a":null,"m":{"x":false,"y":true},"z":[1,"a\\u0026b"]}',
    );
  });
});
