// Grader benchmark: a 1,000-node snapshot (three control-plane nodes, workers with a few taint
// and label variants, cordoned and NotReady ones), a DaemonSet with a pod on every node it runs
// on, and the time to grade its daemonSetPlacement check node by node (aim < 100 ms), plus the
// convergence test the caller runs before grading. Figures only: nothing here asserts a time.
import { grade } from '../main/grader/grade';
import { settled } from '../main/grader/convergence';
import { snapshotOf } from '../main/grader/snapshot';
import { LabCheck } from '../main/grader/spec';
import {
  CONTROL_PLANE_TAINT,
  NOT_READY_TAINTS,
  NOW,
  UNSCHEDULABLE_TAINT,
  daemonPod,
  daemonSet,
  node,
} from '../main/grader/test-fixtures';
import type { KubeObject } from '../main/kube/objects';
import { percentile, report, type Figure } from './report';

const smoke = process.argv.includes('--smoke');
const NODES = smoke ? 100 : 1_000;
const REPEATS = smoke ? 5 : 30;

/** The cluster: node i gets a variant by its number, so every run builds the same one. */
function buildObjects(): KubeObject[] {
  const objects: KubeObject[] = [];
  const ds = daemonSet('agent', {
    podSpec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra' }] },
  });
  objects.push(ds);
  for (let i = 0; i < NODES; i++) {
    const name = i < 3 ? `lab-control-plane${i || ''}` : `lab-worker${i}`;
    // Pods where the DaemonSet runs, and kept ones on a third of the gpu (may-keep) nodes.
    let withPod = true;
    if (i < 3) {
      objects.push(node(name, { taints: [CONTROL_PLANE_TAINT] }));
      withPod = false;
    } else if (i % 97 === 0) {
      objects.push(node(name, { taints: [{ key: 'maintenance', effect: 'NoExecute' }] }));
      withPod = false;
    } else if (i % 50 === 0) {
      objects.push(node(name, { ready: false, taints: NOT_READY_TAINTS }));
    } else if (i % 20 === 0) {
      objects.push(node(name, { unschedulable: true, taints: [UNSCHEDULABLE_TAINT] }));
    } else if (i % 10 === 0) {
      const gpu = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' } as const;
      objects.push(node(name, { taints: [gpu] }));
      withPod = i % 30 === 0;
    } else if (i % 7 === 0) {
      const infra = { key: 'dedicated', value: 'infra', effect: 'NoSchedule' } as const;
      objects.push(node(name, { taints: [infra] }));
    } else {
      objects.push(
        node(name, { labels: { disk: i % 3 === 0 ? 'ssd' : 'hdd', zone: `z${i % 4}` } }),
      );
    }
    if (withPod) objects.push(daemonPod(ds, name, { ready: i % 50 !== 0 }));
  }
  return objects;
}

const placement = LabCheck.parse({
  id: 'agent-placement',
  title: 'agent runs on every node it should',
  type: 'daemonSetPlacement',
  namespace: 'lab',
  name: 'agent',
});

function time(fn: () => unknown): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

function main(): void {
  const buildStarted = performance.now();
  const objects = buildObjects();
  const snapshot = snapshotOf(NOW, objects);
  const buildMs = performance.now() - buildStarted;
  const context = { roles: {}, recorded: {} };

  let first: ReturnType<typeof grade> | undefined;
  const coldMs = time(() => (first = grade([placement], snapshot, context)));
  const check = first!.checks[0]!;
  const details = check.details ?? {};
  const gradeTimes: number[] = [];
  const settleTimes: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    gradeTimes.push(time(() => grade([placement], snapshot, context)));
    settleTimes.push(time(() => settled(snapshot, [placement], context)));
  }
  const figures: Figure[] = [
    { name: 'nodes', value: NODES, unit: 'nodes' },
    { name: 'pods', value: objects.filter((o) => o.kind === 'Pod').length, unit: 'pods' },
    { name: 'build the snapshot', value: buildMs, unit: 'ms' },
    { name: 'grade daemonSetPlacement, first (cold) run', value: coldMs, unit: 'ms' },
    {
      name: `grade daemonSetPlacement (${REPEATS} runs), median (aim < 100 ms)`,
      value: percentile(gradeTimes, 50),
      unit: 'ms',
    },
    { name: 'grade daemonSetPlacement, p95', value: percentile(gradeTimes, 95), unit: 'ms' },
    { name: 'settled(), median', value: percentile(settleTimes, 50), unit: 'ms' },
    { name: 'report: passed', value: check.status === 'passed' ? 1 : 0, unit: 'bool' },
    { name: 'report: nodes listed', value: check.nodes?.length ?? 0, unit: 'nodes' },
    { name: 'report: must-run nodes', value: Number(details.mustRun), unit: 'nodes' },
    { name: 'report: may-keep nodes', value: Number(details.mayKeep), unit: 'nodes' },
    { name: 'report: must-not-run nodes', value: Number(details.mustNotRun), unit: 'nodes' },
  ];
  report(`Grader: daemonSetPlacement over ${NODES.toLocaleString('en-US')} nodes`, figures);
}

main();
