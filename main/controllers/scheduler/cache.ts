/**
 * The scheduler's cache (pkg/scheduler/internal/cache: `cacheImpl`, `nodeTree`, `Snapshot`):
 * every node with the pods bound to it, plus the pods the scheduler has assumed onto a node
 * before the API confirms the binding, so its own decisions count at once. Nodes are listed
 * zone by zone in turn (`nodeTree.list`), the order the scheduler walks them in.
 */
import type { KubeObject } from '../../kube/objects';
import { NodeInfo, type PodInfo } from './pod-info';

/** `utilnode.GetZoneKey`: region and zone (beta labels first), or '' when neither is set. */
export function zoneKey(node: KubeObject): string {
  const labels = node.metadata.labels ?? {};
  const zone =
    labels['failure-domain.beta.kubernetes.io/zone'] ?? labels['topology.kubernetes.io/zone'] ?? '';
  const region =
    labels['failure-domain.beta.kubernetes.io/region'] ??
    labels['topology.kubernetes.io/region'] ??
    '';
  if (region === '' && zone === '') return '';
  return `${region}:\x00:${zone}`;
}

/** What the plugins read: the nodes in walking order, by name, and their counts. */
export interface Snapshot {
  list(): readonly NodeInfo[];
  get(name: string): NodeInfo | undefined;
  /** `NumNodes`. */
  readonly numNodes: number;
  /** How many nodes report each (normalized) image in `status.images` (ImageLocality). */
  imageNodeCount(image: string): number;
}

export class SchedulerCache implements Snapshot {
  private readonly infos = new Map<string, NodeInfo>();
  /** nodeTree: zone → node names in the order added; zones in the order first seen. */
  private readonly tree = new Map<string, string[]>();
  private readonly zones: string[] = [];
  private readonly zoneOf = new Map<string, string>();
  /** Assumed pods: key → node name. */
  private readonly assumed = new Map<string, string>();
  /** Every pod the cache holds: key → node name. */
  private readonly podNode = new Map<string, string>();
  private ordered: NodeInfo[] | undefined;
  private imageCounts: Map<string, number> | undefined;

  // -------------------------------------------------------------------------------------------
  // Nodes

  addNode(node: KubeObject): NodeInfo {
    const name = node.metadata.name ?? '';
    let info = this.infos.get(name);
    if (!info) this.infos.set(name, (info = new NodeInfo(name)));
    const hadNode = info.node !== undefined;
    info.setNode(node);
    const zone = zoneKey(node);
    if (!hadNode) this.treeAdd(name, zone);
    else if (this.zoneOf.get(name) !== zone) {
      this.treeRemove(name);
      this.treeAdd(name, zone);
    }
    this.invalidate();
    return info;
  }

  /** Upstream keeps the NodeInfo while pods still name the node; it leaves the listing. */
  removeNode(name: string): void {
    const info = this.infos.get(name);
    if (!info) return;
    info.node = undefined;
    if (info.pods.size === 0) this.infos.delete(name);
    this.treeRemove(name);
    this.invalidate();
  }

  private treeAdd(name: string, zone: string): void {
    let names = this.tree.get(zone);
    if (!names) {
      this.tree.set(zone, (names = []));
      this.zones.push(zone);
    }
    names.push(name);
    this.zoneOf.set(name, zone);
  }

  private treeRemove(name: string): void {
    const zone = this.zoneOf.get(name);
    if (zone === undefined) return;
    this.zoneOf.delete(name);
    const names = this.tree.get(zone)!;
    names.splice(names.indexOf(name), 1);
    if (names.length === 0) {
      this.tree.delete(zone);
      this.zones.splice(this.zones.indexOf(zone), 1);
    }
  }

  private invalidate(): void {
    this.ordered = undefined;
    this.imageCounts = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Pods

  /** Adds or replaces a bound (or assumed) pod on its node. */
  addPod(info: PodInfo, nodeName: string): void {
    const previous = this.podNode.get(info.key);
    if (previous !== undefined && previous !== nodeName) this.removePod(info.key);
    let node = this.infos.get(nodeName);
    if (!node) this.infos.set(nodeName, (node = new NodeInfo(nodeName)));
    node.addPod(info);
    this.podNode.set(info.key, nodeName);
  }

  /** `AssumePod`: counts a pod on the node chosen for it until the binding shows up. */
  assumePod(info: PodInfo, nodeName: string): void {
    this.addPod(info, nodeName);
    this.assumed.set(info.key, nodeName);
  }

  /** `ForgetPod`: the binding failed. */
  forgetPod(key: string): void {
    if (!this.assumed.has(key)) return;
    this.assumed.delete(key);
    this.removePod(key);
  }

  /** The bound pod arrived from the API: no longer only assumed. */
  confirm(key: string): void {
    this.assumed.delete(key);
  }

  isAssumed(key: string): boolean {
    return this.assumed.has(key);
  }

  removePod(key: string): void {
    const nodeName = this.podNode.get(key);
    if (nodeName === undefined) return;
    this.podNode.delete(key);
    this.assumed.delete(key);
    const node = this.infos.get(nodeName);
    if (!node) return;
    const info = node.pods.get(key);
    if (info) node.removePod(info);
    if (!node.node && node.pods.size === 0) this.infos.delete(nodeName);
  }

  hasPod(key: string): boolean {
    return this.podNode.has(key);
  }

  // -------------------------------------------------------------------------------------------
  // Snapshot

  list(): readonly NodeInfo[] {
    if (this.ordered) return this.ordered;
    const out: NodeInfo[] = [];
    const lists = this.zones.map((zone) => this.tree.get(zone)!);
    const total = lists.reduce((sum, names) => sum + names.length, 0);
    for (let index = 0; out.length < total; index++) {
      for (const names of lists) {
        if (index < names.length) out.push(this.infos.get(names[index]!)!);
      }
    }
    this.ordered = out;
    return out;
  }

  get(name: string): NodeInfo | undefined {
    const info = this.infos.get(name);
    return info?.node ? info : undefined;
  }

  /** The NodeInfo of a node name even without a Node object (pods waiting for it). */
  entry(name: string): NodeInfo | undefined {
    return this.infos.get(name);
  }

  get numNodes(): number {
    return this.zoneOf.size;
  }

  imageNodeCount(image: string): number {
    if (!this.imageCounts) {
      const counts = new Map<string, number>();
      for (const node of this.list()) {
        for (const name of node.images.keys()) counts.set(name, (counts.get(name) ?? 0) + 1);
      }
      this.imageCounts = counts;
    }
    return this.imageCounts.get(image) ?? 0;
  }
}

/** A snapshot with one node replaced (preemption's what-if on a node without its victims). */
export function withNode(snapshot: Snapshot, replacement: NodeInfo): Snapshot {
  const nodes = snapshot.list().map((n) => (n.name === replacement.name ? replacement : n));
  return {
    list: () => nodes,
    get: (name) => (name === replacement.name ? replacement : snapshot.get(name)),
    numNodes: snapshot.numNodes,
    imageNodeCount: (image) => snapshot.imageNodeCount(image),
  };
}
