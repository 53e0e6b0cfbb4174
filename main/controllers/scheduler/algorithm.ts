/**
 * One scheduling decision, after pkg/scheduler/schedule_one.go (1.30): `schedulePod` →
 * `findNodesThatFitPod` (PreFilter, then Filter over the nodes from where the last cycle
 * stopped, until enough feasible nodes are found) → `prioritizeNodes` → `selectHost`
 * (reservoir sampling among the top scores, on the injected randomness). A pod that fits
 * nowhere fails with a `FitError`, whose text is `FitError.Error` word for word, and the
 * DefaultPreemption PostFilter (pkg/scheduler/framework/preemption/preemption.go `Preempt`,
 * plugins/defaultpreemption) adds its `preemption: …` part.
 */
import { randomInt, type Random } from '../../base/random';
import { withNode, type Snapshot } from './cache';
import { Cycle, REASON, type Listers, type Status } from './plugins';
import type { NodeInfo, PodInfo } from './pod-info';

/** `ErrNoNodesAvailable`. */
export class NoNodesAvailableError extends Error {
  constructor() {
    super('no nodes available to schedule pods');
  }
}

/** `framework.Diagnosis`: why each node was rejected and by which plugins. */
export interface Diagnosis {
  readonly nodeToStatus: Map<string, Status>;
  readonly unschedulablePlugins: Set<string>;
  preFilterMsg: string;
  postFilterMsg: string;
}

export function newDiagnosis(): Diagnosis {
  return {
    nodeToStatus: new Map(),
    unschedulablePlugins: new Set(),
    preFilterMsg: '',
    postFilterMsg: '',
  };
}

/**
 * `FitError.Error`: `0/<N> nodes are available: <count> <reason>, ….` — one count per distinct
 * reason over the rejected nodes, the "<count> <reason>" strings sorted as strings — or the
 * PreFilter message instead, then the PostFilter (preemption) message after one space. The
 * PostFilter message ends with its own period: 1.30 no longer doubles it (releases up to 1.29
 * printed `… for scheduling..`; kubernetes/kubernetes#123301, closed by #123302 "as already
 * resolved in 1.30").
 */
export function fitErrorMessage(numAllNodes: number, diagnosis: Diagnosis): string {
  let message = `0/${numAllNodes} nodes are available:`;
  if (diagnosis.preFilterMsg) {
    message += ` ${diagnosis.preFilterMsg}.`;
  } else {
    const counts = new Map<string, number>();
    for (const status of diagnosis.nodeToStatus.values()) {
      for (const reason of status.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    const histogram = [...counts].map(([reason, count]) => `${count} ${reason}`).sort();
    if (histogram.length) message += ` ${histogram.join(', ')}.`;
  }
  if (diagnosis.postFilterMsg) message += ` ${diagnosis.postFilterMsg}`;
  return message;
}

/** `framework.FitError`: the pod fits no node. `text` is `Error()` (with the PostFilter message once set). */
export class FitError extends Error {
  constructor(
    readonly numAllNodes: number,
    readonly diagnosis: Diagnosis,
  ) {
    super(fitErrorMessage(numAllNodes, diagnosis));
  }

  get text(): string {
    return fitErrorMessage(this.numAllNodes, this.diagnosis);
  }
}

export interface ScheduleResult {
  readonly host: string;
  readonly evaluatedNodes: number;
  readonly feasibleNodes: number;
}

/** `minFeasibleNodesToFind`, `minFeasibleNodesPercentageToFind`, `numberOfHighestScoredNodesToReport`. */
const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
const HIGHEST_SCORED_NODES_TO_REPORT = 3;

/**
 * `numFeasibleNodesToFind` with the default `percentageOfNodesToScore` (adaptive: 50% − 1% per
 * 125 nodes, at least 5%, at least 100 nodes).
 */
export function numFeasibleNodesToFind(numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  const percentage = Math.max(
    MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND,
    50 - Math.trunc(numAllNodes / 125),
  );
  const numNodes = Math.trunc((numAllNodes * percentage) / 100);
  return Math.max(numNodes, MIN_FEASIBLE_NODES_TO_FIND);
}

/** The scheduling algorithm, with the one piece of state upstream keeps between cycles. */
export class Algorithm {
  /** `nextStartNodeIndex`: where the next cycle starts walking the nodes. */
  private nextStartNodeIndex = 0;

  constructor(private readonly random: Random) {}

  /** `schedulePod`: throws `NoNodesAvailableError` or `FitError` when there is no host. */
  schedulePod(pod: PodInfo, snapshot: Snapshot, listers: Listers): ScheduleResult {
    if (snapshot.numNodes === 0) throw new NoNodesAvailableError();
    const cycle = new Cycle(pod, snapshot, listers);
    const diagnosis = newDiagnosis();
    const feasible = this.findNodesThatFitPod(cycle, snapshot, diagnosis);
    if (feasible.length === 0) throw new FitError(snapshot.numNodes, diagnosis);
    if (feasible.length === 1) {
      return {
        host: feasible[0]!.name,
        evaluatedNodes: 1 + diagnosis.nodeToStatus.size,
        feasibleNodes: 1,
      };
    }
    const totals = cycle.score(feasible);
    const host = selectHost(
      feasible.map((node, i) => ({ name: node.name, total: totals[i]! })),
      HIGHEST_SCORED_NODES_TO_REPORT,
      this.random,
    );
    return {
      host,
      evaluatedNodes: feasible.length + diagnosis.nodeToStatus.size,
      feasibleNodes: feasible.length,
    };
  }

  private findNodesThatFitPod(cycle: Cycle, snapshot: Snapshot, diagnosis: Diagnosis): NodeInfo[] {
    const allNodes = snapshot.list();
    const pre = cycle.preFilter();
    if (pre.status) {
      // Every node gets the PreFilter's status; the message is the PreFilter's alone.
      for (const node of allNodes) diagnosis.nodeToStatus.set(node.name, pre.status);
      diagnosis.preFilterMsg = pre.status.reasons.join(', ');
      diagnosis.unschedulablePlugins.add(pre.status.plugin);
      return [];
    }
    let nodes: readonly NodeInfo[] = allNodes;
    if (pre.nodeNames) {
      const names = pre.nodeNames;
      // Names that are no nodes are dropped; the rest keep the walking order.
      nodes =
        names.size === 1
          ? [...names].flatMap((name) => snapshot.get(name) ?? [])
          : allNodes.filter((node) => names.has(node.name));
    }
    const feasible = this.findNodesThatPassFilters(cycle, nodes, diagnosis);
    if (pre.nodeNames) {
      // Nodes outside the PreFilterResult count as rejected without hope of preemption
      // (recorded only when needed: they matter to the FitError and to the walking index).
      const filteredOut = allNodes.length - nodes.length;
      if (feasible.length === 0) {
        for (const node of allNodes) {
          if (pre.nodeNames.has(node.name)) continue;
          diagnosis.nodeToStatus.set(node.name, {
            code: 'UnschedulableAndUnresolvable',
            reasons: [REASON.preFilterResult],
            plugin: '',
          });
        }
      }
      this.advance(nodes.length, feasible.length + filteredOut + this.rejected(nodes, diagnosis));
    } else {
      this.advance(nodes.length, feasible.length + diagnosis.nodeToStatus.size);
    }
    return feasible;
  }

  /** `nextStartNodeIndex = (nextStartNodeIndex + processed) % len(nodes)`. */
  private advance(numNodes: number, processed: number): void {
    if (numNodes > 0) this.nextStartNodeIndex = (this.nextStartNodeIndex + processed) % numNodes;
  }

  /** How many of `nodes` the filters rejected. */
  private rejected(nodes: readonly NodeInfo[], diagnosis: Diagnosis): number {
    return nodes.reduce((n, node) => n + (diagnosis.nodeToStatus.has(node.name) ? 1 : 0), 0);
  }

  private findNodesThatPassFilters(
    cycle: Cycle,
    nodes: readonly NodeInfo[],
    diagnosis: Diagnosis,
  ): NodeInfo[] {
    const numAllNodes = nodes.length;
    const numNodesToFind = numFeasibleNodesToFind(numAllNodes);
    const feasible: NodeInfo[] = [];
    for (let i = 0; i < numAllNodes && feasible.length < numNodesToFind; i++) {
      const node = nodes[(this.nextStartNodeIndex + i) % numAllNodes]!;
      const status = cycle.filter(node);
      if (!status) {
        feasible.push(node);
        continue;
      }
      diagnosis.nodeToStatus.set(node.name, status);
      diagnosis.unschedulablePlugins.add(status.plugin);
    }
    return feasible;
  }
}

/**
 * `selectHost(nodeScoreList, count)`: a max-heap of the scores (Go's container/heap, so ties
 * come out in the order upstream's would), keeping one of the top-scored nodes chosen by
 * reservoir sampling — each with probability 1/k among k ties.
 */
export function selectHost(
  scores: ReadonlyArray<{ readonly name: string; readonly total: number }>,
  count: number,
  random: Random,
): string {
  if (scores.length === 0) throw new Error('empty priorityList');
  const heap = [...scores];
  const less = (i: number, j: number): boolean => heap[i]!.total > heap[j]!.total;
  const swap = (i: number, j: number): void => {
    [heap[i], heap[j]] = [heap[j]!, heap[i]!];
  };
  const down = (i0: number, n: number): void => {
    let i = i0;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= n) break;
      let j = j1;
      const j2 = j1 + 1;
      if (j2 < n && less(j2, j1)) j = j2;
      if (!less(j, i)) break;
      swap(i, j);
      i = j;
    }
  };
  const pop = (): { name: string; total: number } => {
    const n = heap.length - 1;
    swap(0, n);
    down(0, n);
    return heap.pop()!;
  };
  for (let i = Math.floor(heap.length / 2) - 1; i >= 0; i--) down(i, heap.length);
  const sorted = [pop()];
  if (heap.length === 0) return sorted[0]!.name;
  let countOfMax = 1;
  let selected = 0;
  for (let ns = pop(); ; ns = pop()) {
    if (ns.total !== sorted[0]!.total && sorted.length === count) break;
    if (ns.total === sorted[0]!.total) {
      countOfMax++;
      if (randomInt(random, countOfMax) === 0) selected = countOfMax - 1;
    }
    sorted.push(ns);
    if (heap.length === 0) break;
  }
  return sorted[selected]!.name;
}

/** What the DefaultPreemption PostFilter concluded. */
export interface PostFilterResult {
  /** Its message, `preemption: …`, for `Diagnosis.PostFilterMsg` ('' when preemption would help). */
  readonly message: string;
  /** Upstream would evict lower-priority pods on some node; this cluster does not preempt. */
  readonly wouldPreempt: boolean;
}

/**
 * DefaultPreemption's PostFilter up to the choice of victims (`Evaluator.Preempt`:
 * `PodEligibleToPreemptOthers`, `findCandidates`, `nodesWherePreemptionMightHelp`,
 * `DryRunPreemption`, `SelectVictimsOnNode`): nodes rejected as unresolvable get "Preemption is
 * not helpful for scheduling", nodes without lower-priority pods "No preemption victims found
 * for incoming pod", and nodes where removing those pods still does not help keep the filter's
 * reason (1.30 texts: `nodesWherePreemptionMightHelp`, `SelectVictimsOnNode`; e.g. `preemption:
 * 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not
 * helpful for scheduling.`). Nodes outside a PreFilterResult (a DaemonSet pod's pin) were
 * recorded as UnschedulableAndUnresolvable "node is filtered out by the prefilter result"
 * (kubernetes/kubernetes#119779, 1.29 and later), so they are not helpful either.
 * Deviation: when removing lower-priority pods would make room, upstream evicts them and
 * nominates the node; this cluster does not preempt, so the message is empty (as upstream's
 * successful PostFilter's is) and the pod stays pending.
 */
export function postFilter(
  pod: PodInfo,
  snapshot: Snapshot,
  listers: Listers,
  nodeToStatus: ReadonlyMap<string, Status>,
): PostFilterResult {
  if (pod.spec.preemptionPolicy === 'Never') {
    return {
      message: 'preemption: not eligible due to preemptionPolicy=Never.',
      wouldPreempt: false,
    };
  }
  const diagnosis = newDiagnosis();
  const potential: NodeInfo[] = [];
  for (const node of snapshot.list()) {
    if (nodeToStatus.get(node.name)?.code === 'UnschedulableAndUnresolvable') {
      diagnosis.nodeToStatus.set(node.name, {
        code: 'UnschedulableAndUnresolvable',
        reasons: ['Preemption is not helpful for scheduling'],
        plugin: '',
      });
    } else {
      potential.push(node);
    }
  }
  let wouldPreempt = false;
  for (const node of potential) {
    const victims = [...node.pods.values()].filter((p) => p.priority < pod.priority);
    if (victims.length === 0) {
      diagnosis.nodeToStatus.set(node.name, {
        code: 'UnschedulableAndUnresolvable',
        reasons: ['No preemption victims found for incoming pod'],
        plugin: '',
      });
      continue;
    }
    const without = node.clone();
    for (const victim of victims) without.removePod(victim);
    const cycle = new Cycle(pod, withNode(snapshot, without), listers);
    const status = cycle.preFilter().status ?? cycle.filter(without);
    if (status) diagnosis.nodeToStatus.set(node.name, status);
    else wouldPreempt = true;
  }
  if (wouldPreempt) return { message: '', wouldPreempt };
  return {
    message: `preemption: ${fitErrorMessage(diagnosis.nodeToStatus.size, diagnosis)}`,
    wouldPreempt: false,
  };
}
