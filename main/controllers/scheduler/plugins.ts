/**
 * The default plugins of kube-scheduler 1.30 that decide where a pod goes
 * (pkg/scheduler/apis/config/v1/default_plugins.go `getDefaultPlugins`), each following its
 * upstream file in pkg/scheduler/framework/plugins:
 *
 * | plugin | extension points here | weight |
 * |---|---|---|
 * | NodeUnschedulable | Filter | |
 * | NodeName | Filter | |
 * | TaintToleration | Filter, Score | 3 |
 * | NodeAffinity | PreFilter, Filter, Score | 2 |
 * | NodePorts | PreFilter, Filter | |
 * | NodeResourcesFit | PreFilter, Filter, Score (LeastAllocated) | 1 |
 * | PodTopologySpread | PreFilter, Filter, Score (system default constraints) | 2 |
 * | InterPodAffinity | PreFilter, Filter, Score | 2 |
 * | NodeResourcesBalancedAllocation | Score | 1 |
 * | ImageLocality | Score | 1 |
 *
 * Not here: the volume plugins (VolumeRestrictions, NodeVolumeLimits, VolumeBinding,
 * VolumeZone) — the embedded cluster has no PersistentVolumes — and SchedulingGates, which
 * the queue applies (PreEnqueue). Filters run one after another and stop at the first that
 * rejects a node, as `RunFilterPlugins` does.
 */
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { everything, labelSelectorAsSelector, nothing, selectorOf } from '../../kube/labels';
import type { LabelSelector, Requirement, Selector } from '../../kube/labels';
import {
  doNotScheduleOrExecute,
  findUntoleratedTaint,
  formatTaintForReason,
  nodeSelectorTermMatches,
  podMatchesNodeAffinity,
  tolerationsTolerateTaint,
  type Taint,
  type Toleration,
} from '../../kube/scheduling';
import type { Snapshot } from './cache';
import {
  list,
  obj,
  portConflicts,
  podScoringRequest,
  termMatches,
  type AffinityTerm,
  type NodeInfo,
  type PodInfo,
  type WeightedAffinityTerm,
} from './pod-info';

// -------------------------------------------------------------------------------------------
// Status

/** `framework.Code`, the failing ones: only `Unschedulable` leaves room for preemption. */
export type Code = 'Unschedulable' | 'UnschedulableAndUnresolvable';

/** `framework.Status` of a rejection: its code, reasons and the plugin that rejected. */
export interface Status {
  readonly code: Code;
  readonly reasons: readonly string[];
  readonly plugin: string;
}

export const MAX_NODE_SCORE = 100;

export const PLUGIN = {
  NodeUnschedulable: 'NodeUnschedulable',
  NodeName: 'NodeName',
  TaintToleration: 'TaintToleration',
  NodeAffinity: 'NodeAffinity',
  NodePorts: 'NodePorts',
  NodeResourcesFit: 'NodeResourcesFit',
  PodTopologySpread: 'PodTopologySpread',
  InterPodAffinity: 'InterPodAffinity',
  NodeResourcesBalancedAllocation: 'NodeResourcesBalancedAllocation',
  ImageLocality: 'ImageLocality',
} as const;

/** The failure reasons, word for word as 1.30 prints them. */
export const REASON = {
  /** nodeunschedulable.ErrReasonUnschedulable */
  unschedulable: 'node(s) were unschedulable',
  /** nodename.ErrReason */
  nodeName: "node(s) didn't match the requested node name",
  /** nodeaffinity.ErrReasonPod */
  nodeAffinity: "node(s) didn't match Pod's node affinity/selector",
  /** nodeaffinity errReasonConflict (PreFilter, matchFields on disjoint node names) */
  nodeAffinityConflict: 'pod affinity terms conflict',
  /** nodeports.ErrReason */
  nodePorts: "node(s) didn't have free ports for the requested pod ports",
  /** noderesources.fitsRequest */
  tooManyPods: 'Too many pods',
  /** podtopologyspread.ErrReasonConstraintsNotMatch */
  spread: "node(s) didn't match pod topology spread constraints",
  /** podtopologyspread.ErrReasonNodeLabelNotMatch */
  spreadLabel: "node(s) didn't match pod topology spread constraints (missing required label)",
  /** interpodaffinity.ErrReasonAffinityRulesNotMatch */
  affinity: "node(s) didn't match pod affinity rules",
  /** interpodaffinity.ErrReasonAntiAffinityRulesNotMatch */
  antiAffinity: "node(s) didn't match pod anti-affinity rules",
  /** interpodaffinity.ErrReasonExistingAntiAffinityRulesNotMatch */
  existingAntiAffinity: "node(s) didn't satisfy existing pods anti-affinity rules",
  /** framework (schedule_one.go findNodesThatFitPod): nodes outside a PreFilterResult */
  preFilterResult: 'node is filtered out by the prefilter result',
} as const;

/** `TaintToleration` Filter: `node(s) had untolerated taint {key: value}`. */
export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint ${formatTaintForReason(taint)}`;
}

function reject(plugin: string, code: Code, ...reasons: string[]): Status {
  return { code, reasons, plugin };
}

// -------------------------------------------------------------------------------------------
// What the plugins read besides the snapshot

/** Listers the plugins consult (`DefaultSelector`, namespace selectors of affinity terms). */
export interface Listers {
  /** Services of a namespace. */
  services(namespace: string): readonly KubeObject[];
  /** `ReplicaSet` (apps/v1), `StatefulSet` (apps/v1) or `ReplicationController` (v1). */
  controller(kind: string, namespace: string, name: string): KubeObject | undefined;
  /** Every namespace (for namespaceSelectors). */
  namespaces(): readonly KubeObject[];
}

// -------------------------------------------------------------------------------------------
// Topology spreading helpers (podtopologyspread/common.go)

const LABEL_HOSTNAME = 'kubernetes.io/hostname';
const LABEL_ZONE = 'topology.kubernetes.io/zone';

interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  selector: Selector;
  readonly minDomains: number;
  readonly nodeAffinityPolicy: string;
  readonly nodeTaintsPolicy: string;
}

/** `systemDefaultConstraints`: hostname maxSkew 3 and zone maxSkew 5, both ScheduleAnyway. */
const SYSTEM_DEFAULT_CONSTRAINTS = [
  { topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: LABEL_ZONE, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

function compile(selector: unknown): Selector {
  if (selector === null || typeof selector !== 'object') return nothing;
  try {
    return labelSelectorAsSelector(selector as LabelSelector);
  } catch {
    return nothing;
  }
}

/** A selector with more requirements (`selector.Add`); `Nothing` stays nothing. */
function addRequirements(selector: Selector, more: readonly Requirement[]): Selector {
  if (selector === nothing) return selector;
  return selectorOf([...selector.requirements, ...more]);
}

/** `filterTopologySpreadConstraints` (MatchLabelKeys, MinDomains, NodeInclusionPolicy on, as in 1.30). */
function filterConstraints(
  constraints: readonly Record<string, unknown>[],
  podLabels: Readonly<Record<string, string>>,
  action: string,
): SpreadConstraint[] {
  const out: SpreadConstraint[] = [];
  for (const c of constraints) {
    if (c.whenUnsatisfiable !== action) continue;
    let selector = compile(c.labelSelector);
    const keys = Array.isArray(c.matchLabelKeys) ? (c.matchLabelKeys as string[]) : [];
    const matchLabels: Requirement[] = [];
    for (const key of keys) {
      if (Object.hasOwn(podLabels, key))
        matchLabels.push({ key, operator: 'Equals', values: [podLabels[key]!] });
    }
    if (matchLabels.length > 0) selector = addRequirements(selector, matchLabels);
    out.push({
      maxSkew: typeof c.maxSkew === 'number' ? c.maxSkew : 0,
      topologyKey: typeof c.topologyKey === 'string' ? c.topologyKey : '',
      selector,
      minDomains: typeof c.minDomains === 'number' ? c.minDomains : 1,
      nodeAffinityPolicy: typeof c.nodeAffinityPolicy === 'string' ? c.nodeAffinityPolicy : 'Honor',
      nodeTaintsPolicy: typeof c.nodeTaintsPolicy === 'string' ? c.nodeTaintsPolicy : 'Ignore',
    });
  }
  return out;
}

/**
 * `helper.DefaultSelector`: the selectors of the Services selecting the pod, and of its
 * controlling ReplicationController, ReplicaSet or StatefulSet. Empty when there are none.
 */
export function defaultSelector(pod: PodInfo, listers: Listers): Selector {
  const labelSet: Record<string, string> = {};
  for (const service of listers.services(pod.namespace)) {
    const selector = obj(service.spec).selector;
    if (selector === null || typeof selector !== 'object') continue;
    const map = selector as Record<string, string>;
    if (Object.entries(map).every(([k, v]) => pod.labels[k] === v)) Object.assign(labelSet, map);
  }
  const fromSet = (set: Record<string, string>): Requirement[] =>
    Object.entries(set).map(([key, value]) => ({ key, operator: 'Equals', values: [value] }));
  let requirements = fromSet(labelSet);
  const owner = pod.pod.metadata.ownerReferences?.find((ref) => ref.controller === true);
  if (owner) {
    const kind =
      owner.apiVersion === 'v1' && owner.kind === 'ReplicationController'
        ? 'ReplicationController'
        : owner.apiVersion === 'apps/v1' &&
            (owner.kind === 'ReplicaSet' || owner.kind === 'StatefulSet')
          ? owner.kind
          : undefined;
    const controller = kind && listers.controller(kind, pod.namespace, owner.name);
    if (controller && kind === 'ReplicationController') {
      const selector = obj(obj(controller.spec).selector) as Record<string, string>;
      requirements = fromSet({ ...labelSet, ...selector });
    } else if (controller) {
      const selector = compile(obj(controller.spec).selector);
      if (selector !== nothing) requirements = [...requirements, ...selector.requirements];
    }
  }
  return requirements.length ? selectorOf(requirements) : everything;
}

/** `countPodsMatchSelector`: pods of the namespace the selector matches, not terminating. */
function countPodsMatchSelector(node: NodeInfo, selector: Selector, namespace: string): number {
  if (selector.empty) return 0;
  let count = 0;
  for (const pod of node.pods.values()) {
    if (pod.deleting || pod.namespace !== namespace) continue;
    if (selector.matches(pod.labels)) count++;
  }
  return count;
}

function nodeLabelsMatchSpreadConstraints(
  labels: Readonly<Record<string, string>>,
  constraints: readonly SpreadConstraint[],
): boolean {
  return constraints.every((c) => Object.hasOwn(labels, c.topologyKey));
}

/**
 * `topologySpreadConstraint.matchNodeInclusionPolicies`; `matchesAffinity` is the pod's
 * required node affinity against the node (memoized per cycle).
 */
function matchNodeInclusionPolicies(
  c: SpreadConstraint,
  pod: PodInfo,
  node: NodeInfo,
  matchesAffinity: (node: NodeInfo) => boolean,
): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !matchesAffinity(node)) return false;
  if (
    c.nodeTaintsPolicy === 'Honor' &&
    findUntoleratedTaint(node.taints, pod.tolerations, doNotScheduleOrExecute)
  ) {
    return false;
  }
  return true;
}

const pairKey = (key: string, value: string): string => `${key}\x00${value}`;

// -------------------------------------------------------------------------------------------
// The cycle state: one pod, one snapshot

interface SpreadFilterState {
  readonly constraints: SpreadConstraint[];
  readonly pairCounts: Map<string, number>;
  /** topologyKey → number of domains and their minimum count. */
  readonly domains: Map<string, number>;
  readonly minimum: Map<string, number>;
}

interface InterPodFilterState {
  readonly affinityTerms: AffinityTerm[];
  readonly antiAffinityTerms: AffinityTerm[];
  readonly existingAnti: Map<string, number>;
  readonly affinityCounts: Map<string, number>;
  readonly antiCounts: Map<string, number>;
}

export interface PreFilterOutcome {
  /** A PreFilter rejected the pod: every node gets this status. */
  readonly status?: Status;
  /** `PreFilterResult.NodeNames`: only these nodes are worth filtering. */
  readonly nodeNames?: ReadonlySet<string>;
}

/** One scheduling attempt's view: the pod, the snapshot, and what PreFilter computed. */
export class Cycle {
  private readonly skip = new Set<string>();
  private spread: SpreadFilterState | undefined;
  private interPod: InterPodFilterState | undefined;
  private namespaceLabelsCache: Readonly<Record<string, string>> | undefined;
  private readonly affinityMemo = new Map<string, boolean>();
  /** The pod's nodeSelector and required node affinity against a node, once per node. */
  private readonly matchesAffinity = (node: NodeInfo): boolean => {
    if (!this.hasRequiredNodeAffinity) return true;
    let match = this.affinityMemo.get(node.name);
    if (match === undefined) {
      match = podMatchesNodeAffinity(this.pod.pod, node.node!);
      this.affinityMemo.set(node.name, match);
    }
    return match;
  };

  /** Whether the pod has a nodeSelector or required node affinity at all. */
  private readonly hasRequiredNodeAffinity: boolean;

  constructor(
    readonly pod: PodInfo,
    readonly snapshot: Snapshot,
    private readonly listers: Listers,
  ) {
    const spec = pod.spec;
    this.hasRequiredNodeAffinity =
      Object.keys(obj(spec.nodeSelector)).length > 0 ||
      isPlainObject(
        obj(obj(spec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution,
      );
  }

  /** `GetNamespaceLabelsSnapshot(pod.Namespace)`. */
  private get namespaceLabels(): Readonly<Record<string, string>> {
    if (!this.namespaceLabelsCache) {
      const ns = this.listers.namespaces().find((n) => n.metadata.name === this.pod.namespace);
      this.namespaceLabelsCache = ns?.metadata.labels ?? {};
    }
    return this.namespaceLabelsCache;
  }

  // -----------------------------------------------------------------------------------------
  // PreFilter (RunPreFilterPlugins)

  preFilter(): PreFilterOutcome {
    let unschedulable: Status | undefined;
    let nodeNames: Set<string> | undefined;
    const steps: Array<[string, () => Status | Set<string> | 'skip' | undefined]> = [
      [PLUGIN.NodeAffinity, () => this.preFilterNodeAffinity()],
      [PLUGIN.NodePorts, () => (this.pod.hostPorts.length === 0 ? 'skip' : undefined)],
      [PLUGIN.PodTopologySpread, () => this.preFilterSpread()],
      [PLUGIN.InterPodAffinity, () => this.preFilterInterPod()],
    ];
    for (const [plugin, run] of steps) {
      const result = run();
      if (result === 'skip') {
        this.skip.add(plugin);
      } else if (result instanceof Set) {
        nodeNames = nodeNames ? new Set([...nodeNames].filter((n) => result.has(n))) : result;
        if (nodeNames.size === 0) {
          return {
            status: reject(
              plugin,
              'UnschedulableAndUnresolvable',
              `node(s) didn't satisfy plugin ${plugin}`,
            ),
          };
        }
      } else if (result) {
        if (result.code === 'UnschedulableAndUnresolvable') return { status: result };
        unschedulable = result;
      }
    }
    if (unschedulable) return { status: unschedulable };
    return nodeNames ? { nodeNames } : {};
  }

  /** NodeAffinity PreFilter: skip without constraints; node names from `matchFields metadata.name In`. */
  private preFilterNodeAffinity(): Status | Set<string> | 'skip' | undefined {
    const spec = this.pod.spec;
    const required = obj(spec.affinity).nodeAffinity;
    const requiredTerms = obj(required).requiredDuringSchedulingIgnoredDuringExecution;
    const hasRequired = isPlainObject(requiredTerms);
    if (!hasRequired && !isPlainObject(spec.nodeSelector)) return 'skip';
    const terms = list(obj(requiredTerms).nodeSelectorTerms);
    if (terms.length === 0) return undefined;
    let nodeNames: Set<string> | undefined;
    for (const term of terms) {
      let termNames: Set<string> | undefined;
      for (const field of list(term.matchFields)) {
        if (field.key !== 'metadata.name' || field.operator !== 'In') continue;
        const values = new Set(Array.isArray(field.values) ? (field.values as string[]) : []);
        termNames = termNames ? new Set([...termNames].filter((n) => values.has(n))) : values;
      }
      // A term without a node-name field lets every node through: the terms are ORed.
      if (!termNames) return undefined;
      nodeNames = new Set([...(nodeNames ?? []), ...termNames]);
    }
    if (nodeNames && nodeNames.size === 0) {
      return reject(
        PLUGIN.NodeAffinity,
        'UnschedulableAndUnresolvable',
        REASON.nodeAffinityConflict,
      );
    }
    return nodeNames;
  }

  /** PodTopologySpread PreFilter (`calPreFilterState`), DoNotSchedule constraints only. */
  private preFilterSpread(): 'skip' | undefined {
    const own = list(this.pod.spec.topologySpreadConstraints);
    const constraints = own.length
      ? filterConstraints(own, this.pod.labels, 'DoNotSchedule')
      : this.defaultConstraints('DoNotSchedule');
    if (constraints.length === 0) return 'skip';
    const pairCounts = new Map<string, number>();
    for (const node of this.snapshot.list()) {
      if (!nodeLabelsMatchSpreadConstraints(node.labels, constraints)) continue;
      for (const c of constraints) {
        if (!matchNodeInclusionPolicies(c, this.pod, node, this.matchesAffinity)) continue;
        const pair = pairKey(c.topologyKey, node.labels[c.topologyKey]!);
        const count = countPodsMatchSelector(node, c.selector, this.pod.namespace);
        pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + count);
      }
    }
    const domains = new Map<string, number>();
    const minimum = new Map<string, number>();
    for (const [pair, count] of pairCounts) {
      const key = pair.slice(0, pair.indexOf('\x00'));
      domains.set(key, (domains.get(key) ?? 0) + 1);
      minimum.set(key, Math.min(minimum.get(key) ?? Infinity, count));
    }
    this.spread = { constraints, pairCounts, domains, minimum };
    return undefined;
  }

  /** `buildDefaultConstraints`: the system defaults with the pod's DefaultSelector. */
  private defaultConstraints(action: string): SpreadConstraint[] {
    const constraints = filterConstraints(SYSTEM_DEFAULT_CONSTRAINTS, this.pod.labels, action);
    if (constraints.length === 0) return [];
    const selector = defaultSelector(this.pod, this.listers);
    if (selector.empty) return [];
    for (const c of constraints) c.selector = selector;
    return constraints;
  }

  /**
   * `mergeAffinityTermNamespacesIfNotEmpty`: the incoming pod's namespaceSelector becomes the
   * list of namespaces it selects now.
   */
  private mergeNamespaces(terms: readonly AffinityTerm[]): AffinityTerm[] {
    return terms.map((term) => {
      if (term.namespaceSelector.empty || term.namespaceSelector === nothing) return term;
      const namespaces = new Set(term.namespaces);
      for (const ns of this.listers.namespaces()) {
        if (term.namespaceSelector.matches(ns.metadata.labels))
          namespaces.add(ns.metadata.name ?? '');
      }
      return { ...term, namespaces, namespaceSelector: nothing };
    });
  }

  /** InterPodAffinity PreFilter. */
  private preFilterInterPod(): 'skip' | undefined {
    const affinityTerms = this.mergeNamespaces(this.pod.requiredAffinityTerms);
    const antiAffinityTerms = this.mergeNamespaces(this.pod.requiredAntiAffinityTerms);
    const existingAnti = new Map<string, number>();
    const nodes = this.snapshot.list();
    const update = (map: Map<string, number>, node: NodeInfo, key: string): void => {
      if (!Object.hasOwn(node.labels, key)) return;
      const pair = pairKey(key, node.labels[key]!);
      map.set(pair, (map.get(pair) ?? 0) + 1);
    };
    for (const node of nodes) {
      if (node.podsWithRequiredAntiAffinity === 0) continue;
      for (const existing of node.pods.values()) {
        for (const term of existing.requiredAntiAffinityTerms) {
          if (termMatches(term, this.pod, this.namespaceLabels))
            update(existingAnti, node, term.topologyKey);
        }
      }
    }
    const affinityCounts = new Map<string, number>();
    const antiCounts = new Map<string, number>();
    if (affinityTerms.length > 0 || antiAffinityTerms.length > 0) {
      for (const node of nodes) {
        for (const existing of node.pods.values()) {
          if (podMatchesAllAffinityTerms(affinityTerms, existing)) {
            for (const term of affinityTerms) update(affinityCounts, node, term.topologyKey);
          }
          for (const term of antiAffinityTerms) {
            if (termMatches(term, existing, undefined)) update(antiCounts, node, term.topologyKey);
          }
        }
      }
    }
    if (existingAnti.size === 0 && affinityTerms.length === 0 && antiAffinityTerms.length === 0)
      return 'skip';
    this.interPod = { affinityTerms, antiAffinityTerms, existingAnti, affinityCounts, antiCounts };
    return undefined;
  }

  // -----------------------------------------------------------------------------------------
  // Filter (RunFilterPlugins: the first rejection wins)

  filter(node: NodeInfo): Status | undefined {
    const pod = this.pod;
    // NodeUnschedulable: a cordoned node, unless the pod tolerates its unschedulable taint.
    if (
      node.unschedulable &&
      !tolerationsTolerateTaint(pod.tolerations, {
        key: 'node.kubernetes.io/unschedulable',
        effect: 'NoSchedule',
      })
    ) {
      return reject(PLUGIN.NodeUnschedulable, 'UnschedulableAndUnresolvable', REASON.unschedulable);
    }
    // NodeName
    const nodeName = pod.spec.nodeName;
    if (typeof nodeName === 'string' && nodeName !== '' && nodeName !== node.name) {
      return reject(PLUGIN.NodeName, 'UnschedulableAndUnresolvable', REASON.nodeName);
    }
    // TaintToleration: NoSchedule and NoExecute taints only.
    const taint = findUntoleratedTaint(node.taints, pod.tolerations, doNotScheduleOrExecute);
    if (taint) {
      return reject(
        PLUGIN.TaintToleration,
        'UnschedulableAndUnresolvable',
        untoleratedTaintReason(taint),
      );
    }
    // NodeAffinity: nodeSelector and required node affinity.
    if (!this.skip.has(PLUGIN.NodeAffinity) && !this.matchesAffinity(node)) {
      return reject(PLUGIN.NodeAffinity, 'UnschedulableAndUnresolvable', REASON.nodeAffinity);
    }
    // NodePorts
    if (!this.skip.has(PLUGIN.NodePorts) && !fitsPorts(pod, node)) {
      return reject(PLUGIN.NodePorts, 'Unschedulable', REASON.nodePorts);
    }
    // NodeResourcesFit
    const insufficient = fitsRequest(pod, node);
    if (insufficient.length > 0) {
      return reject(PLUGIN.NodeResourcesFit, 'Unschedulable', ...insufficient);
    }
    // PodTopologySpread
    const spread = this.filterSpread(node);
    if (spread) return spread;
    // InterPodAffinity
    return this.filterInterPod(node);
  }

  private filterSpread(node: NodeInfo): Status | undefined {
    const state = this.spread;
    if (!state || this.skip.has(PLUGIN.PodTopologySpread)) return undefined;
    for (const c of state.constraints) {
      if (!Object.hasOwn(node.labels, c.topologyKey)) {
        return reject(PLUGIN.PodTopologySpread, 'UnschedulableAndUnresolvable', REASON.spreadLabel);
      }
      const domains = state.domains.get(c.topologyKey);
      // Upstream logs an internal error and skips the constraint when no domain was counted.
      if (domains === undefined) continue;
      const minMatch = domains < c.minDomains ? 0 : state.minimum.get(c.topologyKey)!;
      const selfMatch = c.selector.matches(this.pod.labels) ? 1 : 0;
      const matchNum =
        state.pairCounts.get(pairKey(c.topologyKey, node.labels[c.topologyKey]!)) ?? 0;
      if (matchNum + selfMatch - minMatch > c.maxSkew) {
        return reject(PLUGIN.PodTopologySpread, 'Unschedulable', REASON.spread);
      }
    }
    return undefined;
  }

  private filterInterPod(node: NodeInfo): Status | undefined {
    const state = this.interPod;
    if (!state || this.skip.has(PLUGIN.InterPodAffinity)) return undefined;
    if (!this.satisfyPodAffinity(state, node)) {
      return reject(PLUGIN.InterPodAffinity, 'UnschedulableAndUnresolvable', REASON.affinity);
    }
    if (state.antiCounts.size > 0) {
      for (const term of state.antiAffinityTerms) {
        if (!Object.hasOwn(node.labels, term.topologyKey)) continue;
        if (
          (state.antiCounts.get(pairKey(term.topologyKey, node.labels[term.topologyKey]!)) ?? 0) > 0
        ) {
          return reject(PLUGIN.InterPodAffinity, 'Unschedulable', REASON.antiAffinity);
        }
      }
    }
    if (state.existingAnti.size > 0) {
      for (const [key, value] of Object.entries(node.labels)) {
        if ((state.existingAnti.get(pairKey(key, value)) ?? 0) > 0) {
          return reject(PLUGIN.InterPodAffinity, 'Unschedulable', REASON.existingAntiAffinity);
        }
      }
    }
    return undefined;
  }

  /** `satisfyPodAffinity`, with the first-pod-of-a-group exception. */
  private satisfyPodAffinity(state: InterPodFilterState, node: NodeInfo): boolean {
    let podsExist = true;
    for (const term of state.affinityTerms) {
      if (!Object.hasOwn(node.labels, term.topologyKey)) return false;
      if (
        (state.affinityCounts.get(pairKey(term.topologyKey, node.labels[term.topologyKey]!)) ??
          0) <= 0
      )
        podsExist = false;
    }
    if (podsExist) return true;
    return (
      state.affinityCounts.size === 0 && podMatchesAllAffinityTerms(state.affinityTerms, this.pod)
    );
  }

  // -----------------------------------------------------------------------------------------
  // Score (RunScorePlugins: PreScore, Score, NormalizeScore, × weight)

  /** The weighted sum of every score plugin for each feasible node, in the order given. */
  score(nodes: readonly NodeInfo[]): number[] {
    const totals = nodes.map(() => 0);
    const add = (weight: number, scores: number[] | undefined): void => {
      if (!scores) return;
      for (let i = 0; i < nodes.length; i++) totals[i]! += weight * scores[i]!;
    };
    add(3, this.scoreTaintToleration(nodes));
    add(2, this.scoreNodeAffinity(nodes));
    add(1, this.scoreLeastAllocated(nodes));
    add(2, this.scoreSpread(nodes));
    add(2, this.scoreInterPod(nodes));
    add(1, this.scoreBalancedAllocation(nodes));
    add(1, this.scoreImageLocality(nodes));
    return totals;
  }

  /** TaintToleration: untolerated PreferNoSchedule taints, fewer is better. */
  private scoreTaintToleration(nodes: readonly NodeInfo[]): number[] {
    const tolerations: Toleration[] = this.pod.tolerations.filter(
      (t) => !t.effect || t.effect === 'PreferNoSchedule',
    );
    const scores = nodes.map(
      (node) =>
        node.taints.filter(
          (taint) =>
            taint.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, taint),
        ).length,
    );
    return defaultNormalizeScore(scores, true);
  }

  /** NodeAffinity: the weights of the preferred terms a node matches. */
  private scoreNodeAffinity(nodes: readonly NodeInfo[]): number[] | undefined {
    const preferred = obj(
      obj(this.pod.spec.affinity).nodeAffinity,
    ).preferredDuringSchedulingIgnoredDuringExecution;
    if (!Array.isArray(preferred)) return undefined;
    const terms = list(preferred).filter((t) => typeof t.weight === 'number' && t.weight !== 0);
    const scores = nodes.map((node) =>
      terms.reduce(
        (sum, t) =>
          sum + (nodeSelectorTermMatches(t.preference, node.node!) ? (t.weight as number) : 0),
        0,
      ),
    );
    return defaultNormalizeScore(scores, false);
  }

  /** NodeResourcesFit LeastAllocated over cpu and memory (weight 1 each), with non-zero requests. */
  private scoreLeastAllocated(nodes: readonly NodeInfo[]): number[] {
    const cpu = podScoringRequest(this.pod, 'cpu', false);
    const memory = podScoringRequest(this.pod, 'memory', false);
    return nodes.map((node) => {
      let score = 0;
      let weights = 0;
      const resources: Array<[number, number]> = [
        [node.nonZeroMilliCpu + cpu, node.allocatable.milliCpu],
        [node.nonZeroMemory + memory, node.allocatable.memory],
      ];
      for (const [requested, allocatable] of resources) {
        if (allocatable === 0) continue;
        score +=
          requested > allocatable
            ? 0
            : Math.trunc(((allocatable - requested) * MAX_NODE_SCORE) / allocatable);
        weights++;
      }
      return weights === 0 ? 0 : Math.trunc(score / weights);
    });
  }

  /** NodeResourcesBalancedAllocation: 1 − the spread of the cpu and memory fractions (actual requests). */
  private scoreBalancedAllocation(nodes: readonly NodeInfo[]): number[] {
    const cpu = podScoringRequest(this.pod, 'cpu', true);
    const memory = podScoringRequest(this.pod, 'memory', true);
    return nodes.map((node) => {
      const fractions: number[] = [];
      const resources: Array<[number, number]> = [
        [node.requested.milliCpu + cpu, node.allocatable.milliCpu],
        [node.requested.memory + memory, node.allocatable.memory],
      ];
      for (const [requested, allocatable] of resources) {
        if (allocatable === 0) continue;
        fractions.push(Math.min(1, requested / allocatable));
      }
      const std = fractions.length === 2 ? Math.abs((fractions[0]! - fractions[1]!) / 2) : 0;
      return Math.trunc((1 - std) * MAX_NODE_SCORE);
    });
  }

  /** PodTopologySpread scoring (ScheduleAnyway constraints, or the system defaults). */
  private scoreSpread(nodes: readonly NodeInfo[]): number[] | undefined {
    if (this.snapshot.numNodes === 0) return undefined;
    const own = list(this.pod.spec.topologySpreadConstraints);
    const constraints = own.length
      ? filterConstraints(own, this.pod.labels, 'ScheduleAnyway')
      : this.defaultConstraints('ScheduleAnyway');
    if (constraints.length === 0) return undefined;
    // Only the pod's own constraints require every topology label (systemDefaulted).
    const requireAll = own.length > 0;
    const ignored = new Set<string>();
    const pairCounts = new Map<string, number>();
    const sizes = constraints.map(() => 0);
    for (const node of nodes) {
      if (requireAll && !nodeLabelsMatchSpreadConstraints(node.labels, constraints)) {
        ignored.add(node.name);
        continue;
      }
      constraints.forEach((c, i) => {
        if (c.topologyKey === LABEL_HOSTNAME) return;
        const pair = pairKey(c.topologyKey, node.labels[c.topologyKey] ?? '');
        if (!pairCounts.has(pair)) {
          pairCounts.set(pair, 0);
          sizes[i]!++;
        }
      });
    }
    const weights = constraints.map((c, i) =>
      Math.log((c.topologyKey === LABEL_HOSTNAME ? nodes.length - ignored.size : sizes[i]!) + 2),
    );
    for (const node of this.snapshot.list()) {
      if (requireAll && !nodeLabelsMatchSpreadConstraints(node.labels, constraints)) continue;
      for (const c of constraints) {
        // Per-node counts (hostname) are taken while scoring.
        if (c.topologyKey === LABEL_HOSTNAME) continue;
        const pair = pairKey(c.topologyKey, node.labels[c.topologyKey] ?? '');
        const count = pairCounts.get(pair);
        if (count === undefined) continue;
        if (!matchNodeInclusionPolicies(c, this.pod, node, this.matchesAffinity)) continue;
        pairCounts.set(pair, count + countPodsMatchSelector(node, c.selector, this.pod.namespace));
      }
    }
    const raw = nodes.map((node) => {
      if (ignored.has(node.name)) return 0;
      let score = 0;
      constraints.forEach((c, i) => {
        if (!Object.hasOwn(node.labels, c.topologyKey)) return;
        const count =
          c.topologyKey === LABEL_HOSTNAME
            ? countPodsMatchSelector(node, c.selector, this.pod.namespace)
            : pairCounts.get(pairKey(c.topologyKey, node.labels[c.topologyKey]!))!;
        score += count * weights[i]! + (c.maxSkew - 1);
      });
      return goRound(score);
    });
    // NormalizeScore
    let min = Infinity;
    let max = 0;
    nodes.forEach((node, i) => {
      if (ignored.has(node.name)) return;
      min = Math.min(min, raw[i]!);
      max = Math.max(max, raw[i]!);
    });
    return nodes.map((node, i) => {
      if (ignored.has(node.name)) return 0;
      if (max === 0) return MAX_NODE_SCORE;
      return Math.trunc((MAX_NODE_SCORE * (max + min - raw[i]!)) / max);
    });
  }

  /** InterPodAffinity scoring: preferred terms both ways and existing pods' required affinity (weight 1). */
  private scoreInterPod(nodes: readonly NodeInfo[]): number[] | undefined {
    if (nodes.length === 0) return undefined;
    const pod = this.pod;
    const hasConstraints =
      pod.preferredAffinityTerms.length > 0 || pod.preferredAntiAffinityTerms.length > 0;
    const merge = (terms: readonly WeightedAffinityTerm[]): WeightedAffinityTerm[] => {
      const merged = this.mergeNamespaces(terms.map((t) => t.term));
      return terms.map((t, i) => ({ term: merged[i]!, weight: t.weight }));
    };
    const preferredAffinity = merge(pod.preferredAffinityTerms);
    const preferredAnti = merge(pod.preferredAntiAffinityTerms);
    const topologyScore = new Map<string, number>();
    const add = (term: AffinityTerm, node: NodeInfo, amount: number): void => {
      if (!Object.hasOwn(node.labels, term.topologyKey)) return;
      const pair = pairKey(term.topologyKey, node.labels[term.topologyKey]!);
      topologyScore.set(pair, (topologyScore.get(pair) ?? 0) + amount);
    };
    const nsLabels = this.namespaceLabels;
    for (const node of this.snapshot.list()) {
      if (!hasConstraints && node.podsWithAffinity === 0) continue;
      if (Object.keys(node.labels).length === 0) continue;
      for (const existing of node.pods.values()) {
        if (!hasConstraints && !existing.hasAffinity) continue;
        for (const { term, weight } of preferredAffinity)
          if (termMatches(term, existing, undefined)) add(term, node, weight);
        for (const { term, weight } of preferredAnti)
          if (termMatches(term, existing, undefined)) add(term, node, -weight);
        // HardPodAffinityWeight 1: the existing pod's required affinity terms the pod matches.
        for (const term of existing.requiredAffinityTerms)
          if (termMatches(term, pod, nsLabels)) add(term, node, 1);
        for (const { term, weight } of existing.preferredAffinityTerms)
          if (termMatches(term, pod, nsLabels)) add(term, node, weight);
        for (const { term, weight } of existing.preferredAntiAffinityTerms)
          if (termMatches(term, pod, nsLabels)) add(term, node, -weight);
      }
    }
    // Entries that sum to zero still count as "scored" upstream (the map holds them).
    if (topologyScore.size === 0) return undefined;
    const raw = nodes.map((node) => {
      let score = 0;
      for (const [pair, value] of topologyScore) {
        const at = pair.indexOf('\x00');
        const key = pair.slice(0, at);
        if (Object.hasOwn(node.labels, key) && node.labels[key] === pair.slice(at + 1))
          score += value;
      }
      return score;
    });
    const min = Math.min(...raw);
    const max = Math.max(...raw);
    return raw.map((s) =>
      max - min > 0 ? Math.trunc(MAX_NODE_SCORE * ((s - min) / (max - min))) : 0,
    );
  }

  /** ImageLocality: how much of the pod's images the node already has, scaled by their spread. */
  private scoreImageLocality(nodes: readonly NodeInfo[]): number[] {
    const MB = 1024 * 1024;
    const minThreshold = 23 * MB;
    const images = [...list(this.pod.spec.initContainers), ...list(this.pod.spec.containers)].map(
      (c) => normalizedImageName(typeof c.image === 'string' ? c.image : ''),
    );
    const maxThreshold = 1000 * MB * images.length;
    const total = this.snapshot.numNodes;
    return nodes.map((node) => {
      let sum = 0;
      for (const image of images) {
        const size = node.images.get(image);
        if (size === undefined) continue;
        sum += Math.trunc(size * (this.snapshot.imageNodeCount(image) / total));
      }
      if (maxThreshold <= minThreshold) return 0;
      const clamped = Math.min(Math.max(sum, minThreshold), maxThreshold);
      return Math.trunc(
        (MAX_NODE_SCORE * (clamped - minThreshold)) / (maxThreshold - minThreshold),
      );
    });
  }
}

// -------------------------------------------------------------------------------------------
// Helpers

/** `podMatchesAllAffinityTerms`: the incoming terms' namespaces are already merged. */
function podMatchesAllAffinityTerms(terms: readonly AffinityTerm[], pod: PodInfo): boolean {
  if (terms.length === 0) return false;
  return terms.every((term) => termMatches(term, pod, undefined));
}

/** NodePorts `fitsPorts`. */
function fitsPorts(pod: PodInfo, node: NodeInfo): boolean {
  return pod.hostPorts.every((port) => !portConflicts(node.usedPorts, port));
}

/** NodeResourcesFit `fitsRequest`: the reasons, in upstream's order (pods, cpu, memory, storage, scalars). */
export function fitsRequest(pod: PodInfo, node: NodeInfo): string[] {
  const reasons: string[] = [];
  if (node.pods.size + 1 > node.allocatable.allowedPodNumber) reasons.push(REASON.tooManyPods);
  const request = pod.requests;
  if (
    request.milliCpu === 0 &&
    request.memory === 0 &&
    request.ephemeralStorage === 0 &&
    request.scalars.size === 0
  ) {
    return reasons;
  }
  const { allocatable, requested } = node;
  if (request.milliCpu > 0 && request.milliCpu > allocatable.milliCpu - requested.milliCpu)
    reasons.push('Insufficient cpu');
  if (request.memory > 0 && request.memory > allocatable.memory - requested.memory)
    reasons.push('Insufficient memory');
  if (
    request.ephemeralStorage > 0 &&
    request.ephemeralStorage > allocatable.ephemeralStorage - requested.ephemeralStorage
  ) {
    reasons.push('Insufficient ephemeral-storage');
  }
  for (const [name, quantity] of request.scalars) {
    if (quantity === 0) continue;
    const free = (allocatable.scalars.get(name) ?? 0) - (requested.scalars.get(name) ?? 0);
    if (quantity > free) reasons.push(`Insufficient ${name}`);
  }
  return reasons;
}

/** `helper.DefaultNormalizeScore`: scaled to 0–100 of the highest, optionally reversed. */
function defaultNormalizeScore(scores: number[], reverse: boolean): number[] {
  const max = Math.max(0, ...scores);
  if (max === 0) return scores.map((s) => (reverse ? MAX_NODE_SCORE : s));
  return scores.map((s) => {
    const scaled = Math.trunc((MAX_NODE_SCORE * s) / max);
    return reverse ? MAX_NODE_SCORE - scaled : scaled;
  });
}

/** Go's `math.Round`: half away from zero. */
function goRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** ImageLocality `normalizedImageName`: `:latest` when the image has no tag. */
function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}
