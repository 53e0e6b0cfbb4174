import { describe, expect, it } from 'vitest';
import { nodeNameFor, resolveRoles, rolesFor, UnknownRoleError } from './roles';

describe('rolesFor', () => {
  it('names the roles of the embedded cluster and kind (worker1 is <x>-worker)', () => {
    expect(rolesFor(['lab-worker2', 'lab-control-plane', 'lab-worker', 'lab-worker10'])).toEqual({
      controlPlane: 'lab-control-plane',
      worker1: 'lab-worker',
      worker2: 'lab-worker2',
      worker10: 'lab-worker10',
    });
  });

  it('follows the prefix of the control plane, whatever it is', () => {
    expect(rolesFor(['kind-control-plane', 'kind-worker', 'kind-worker2'])).toEqual({
      controlPlane: 'kind-control-plane',
      worker1: 'kind-worker',
      worker2: 'kind-worker2',
    });
    expect(rolesFor(['my-lab-control-plane', 'my-lab-worker'])).toEqual({
      controlPlane: 'my-lab-control-plane',
      worker1: 'my-lab-worker',
    });
  });

  it('ignores nodes of another cluster and names that are not kind-style', () => {
    expect(
      rolesFor([
        'lab-control-plane',
        'lab-worker',
        'other-worker2',
        'gke-pool-1-abcd',
        'lab-worker1',
      ]),
    ).toEqual({ controlPlane: 'lab-control-plane', worker1: 'lab-worker' });
  });

  it('takes the first control plane when kind made several', () => {
    expect(rolesFor(['lab-control-plane2', 'lab-control-plane', 'lab-worker'])).toEqual({
      controlPlane: 'lab-control-plane',
      worker1: 'lab-worker',
    });
  });

  it('finds no roles in an empty or foreign node list', () => {
    expect(rolesFor([])).toEqual({});
    expect(rolesFor(['node-a', 'node-b'])).toEqual({});
  });
});

describe('nodeNameFor', () => {
  const roles = rolesFor(['lab-control-plane', 'lab-worker', 'lab-worker2']);

  it('answers known roles from the map', () => {
    expect(nodeNameFor('worker2', roles)).toBe('lab-worker2');
    expect(nodeNameFor('controlPlane', roles)).toBe('lab-control-plane');
  });

  it('names a worker the cluster does not have yet as the cluster would (a node a lab adds)', () => {
    expect(nodeNameFor('worker3', roles)).toBe('lab-worker3');
    expect(nodeNameFor('worker1', { controlPlane: 'x-control-plane' })).toBe('x-worker');
    expect(nodeNameFor('worker4', { worker1: 'y-worker' })).toBe('y-worker4');
  });

  it('refuses roles it cannot name', () => {
    expect(() => nodeNameFor('worker3', { worker1: 'node-a' })).toThrow(UnknownRoleError);
    expect(() => nodeNameFor('controlPlane', { worker1: 'lab-worker' })).toThrow(
      'no node has the role controlPlane',
    );
  });
});

describe('resolveRoles', () => {
  const roles = rolesFor(['lab-control-plane', 'lab-worker', 'lab-worker2']);

  it('replaces placeholders in every string, deeply, and leaves the rest alone', () => {
    const value = {
      node: '{{worker1}}',
      list: ['a {{worker2}} b {{controlPlane}}', 3, true, null],
      nested: { deep: [{ name: 'spec.nodeName={{worker3}}' }] },
      template: '{{.metadata.name}} {{ worker1 }} {{worker}}',
    };
    expect(resolveRoles(value, roles)).toEqual({
      node: 'lab-worker',
      list: ['a lab-worker2 b lab-control-plane', 3, true, null],
      nested: { deep: [{ name: 'spec.nodeName=lab-worker3' }] },
      template: '{{.metadata.name}} {{ worker1 }} {{worker}}',
    });
  });

  it('does not change its input', () => {
    const value = { node: '{{worker1}}' };
    resolveRoles(value, roles);
    expect(value).toEqual({ node: '{{worker1}}' });
  });
});
