/**
 * The clock controller (Kubelab's own; no upstream counterpart): makes sure the `kubelab.dev`
 * Clock object exists. Its `spec.pace` is read by the simulated kubelets; jumps forward come
 * through the `clocks/advance` subresource, which the API server serves.
 */
import { findResource } from '../kube/resources';
import { CLOCK_NAME } from '../kube/simulator-types';
import { StatusError } from '../kube/status';
import type { KubeObject } from '../kube/objects';
import type { Registry } from '../apiserver/registry/registry';

const clocks = findResource('kubelab.dev', 'v1alpha1', 'clocks')!;

/** Creates the cluster's Clock if it is missing; answers the existing one otherwise. */
export function ensureClock(registry: Registry, pace: 'Instant' | 'Realistic'): KubeObject {
  try {
    return registry.get(clocks, '', CLOCK_NAME);
  } catch (error) {
    if (!(error instanceof StatusError) || error.code !== 404) throw error;
    return registry.create(clocks, '', {
      apiVersion: 'kubelab.dev/v1alpha1',
      kind: 'Clock',
      metadata: { name: CLOCK_NAME },
      spec: { pace },
    } as KubeObject);
  }
}
