/**
 * Server-side printing: the columns and cells kube-apiserver 1.30 puts in `meta.k8s.io/v1` Tables
 * (pkg/printers/internalversion/printers.go). kubectl prints these cells as they come, so every
 * column name, cell type and placeholder (`<none>`, `<unknown>`, `<pending>`) matters. Cells are
 * always computed "wide": kubectl hides priority-1 columns unless `-o wide`.
 */
import { formatLabelMap, formatLabelSelector, labelSelectorAsSelector } from '../kube/labels';
import { isPlainObject, type KubeObject } from '../kube/objects';
import { schemaNamed, propertyOf, resolveSchema } from '../kube/schema';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

export interface ColumnDefinition {
  readonly name: string;
  readonly type: string;
  readonly format: string;
  readonly description: string;
  readonly priority: number;
}

export type Cell = string | number | boolean;

/**
 * A cell that says how long ago something was (`translateTimestampSince`, and the RESTARTS
 * column's "(5m ago)"): rendered when a request is answered, so the rest of a row depends only
 * on the object and can be computed once per stored object (http/tables.ts).
 */
export interface Since {
  /** The time, in ms since the epoch. */
  readonly since: number;
  readonly before: string;
  readonly after: string;
}

export type LiveCell = Cell | Since;

export interface Printer {
  readonly columns: readonly ColumnDefinition[];
  /** The row's cells; durations as Since cells (see renderCell). */
  cells(object: KubeObject): LiveCell[];
}

export function isSince(cell: LiveCell): cell is Since {
  return typeof cell === 'object';
}

/** A cell as the Table carries it at `now`. */
export function renderCell(cell: LiveCell, now: number): Cell {
  return isSince(cell) ? `${cell.before}${humanDuration(now - cell.since)}${cell.after}` : cell;
}

/** The cells of an object's row at `now`. */
export function cellsAt(printer: Printer, object: KubeObject, now: number): Cell[] {
  return printer.cells(object).map((cell) => renderCell(cell, now));
}

/** `duration.HumanDuration` (k8s.io/apimachinery/pkg/util/duration). */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 192) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24) % 365;
    const years = Math.trunc(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

const parsedTimes = new Map<string, number>();

/** Date.parse with a small cache: thousands of objects share a handful of timestamps. */
function parseTime(timestamp: string): number {
  let at = parsedTimes.get(timestamp);
  if (at === undefined) {
    at = Date.parse(timestamp);
    if (parsedTimes.size > 4096) parsedTimes.clear();
    parsedTimes.set(timestamp, at);
  }
  return at;
}

/** `translateTimestampSince`: an age (rendered per request), or `<unknown>` for no timestamp. */
export function ageOf(timestamp: unknown): LiveCell {
  if (typeof timestamp !== 'string' || !timestamp) return '<unknown>';
  const at = parseTime(timestamp);
  return Number.isNaN(at) ? '<unknown>' : { since: at, before: '', after: '' };
}

/** `translateTimestampSince` at `now`. */
export function age(timestamp: unknown, now: number): string {
  return String(renderCell(ageOf(timestamp), now));
}

/** A field's description from the schemas (what the printers' SwaggerDoc lookups return). */
function doc(schemaName: string, ...path: string[]): string {
  let schema = schemaNamed(schemaName);
  for (const part of path) schema = propertyOf(schema, part);
  return (schema?.description ?? resolveSchema(schema)?.description ?? '').trim();
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const CORE = 'io.k8s.api.core.v1';
const APPS = 'io.k8s.api.apps.v1';

function column(
  name: string,
  type: string,
  description: string,
  priority = 0,
  format = '',
): ColumnDefinition {
  return { name, type, format, description, priority };
}

const nameColumn = (): ColumnDefinition => column('Name', 'string', doc(META, 'name'), 0, 'name');
const ageColumn = (): ColumnDefinition => column('Age', 'string', doc(META, 'creationTimestamp'));

function containerCells(spec: Obj): [string, string] {
  const containers = list(spec.containers);
  return [
    containers.map((c) => String(c.name ?? '')).join(','),
    containers.map((c) => String(c.image ?? '')).join(','),
  ];
}

// --------------------------------------------------------------------------------------------
// Pods

function podStatus(pod: Obj): { ready: string; status: string; restarts: LiveCell } {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  const metadata = obj(pod.metadata);
  let restarts = 0;
  let lastRestart = 0;
  const initContainers = list(spec.initContainers);
  const sidecars = new Set(
    initContainers.filter((c) => c.restartPolicy === 'Always').map((c) => c.name),
  );
  let total = list(spec.containers).length + sidecars.size;
  let ready = 0;
  let reason = String(status.phase ?? '');
  if (status.reason) reason = String(status.reason);

  const lastTermination = (cs: Obj): number => {
    const finishedAt = obj(obj(cs.lastState).terminated).finishedAt;
    const at = typeof finishedAt === 'string' ? parseTime(finishedAt) : NaN;
    return Number.isNaN(at) ? 0 : at;
  };

  let initializing = false;
  const initStatuses = list(status.initContainerStatuses);
  initStatuses.forEach((container, i) => {
    restarts += Number(container.restartCount ?? 0);
    if (Number(container.restartCount ?? 0) > 0)
      lastRestart = Math.max(lastRestart, lastTermination(container));
    const state = obj(container.state);
    const terminated = obj(state.terminated);
    const waiting = obj(state.waiting);
    if (sidecars.has(container.name)) {
      if (container.started === true && container.ready === true) ready++;
      if (container.started === true) return;
    }
    if (state.terminated && terminated.exitCode === 0) return;
    if (state.terminated) {
      if (terminated.reason) reason = `Init:${String(terminated.reason)}`;
      else if (terminated.signal) reason = `Init:Signal:${String(terminated.signal)}`;
      else reason = `Init:ExitCode:${String(terminated.exitCode)}`;
      initializing = true;
    } else if (state.waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${String(waiting.reason)}`;
      initializing = true;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
      initializing = true;
    }
  });
  if (!initializing) {
    restarts = 0;
    lastRestart = 0;
    for (const container of initStatuses) {
      if (sidecars.has(container.name)) {
        restarts += Number(container.restartCount ?? 0);
        if (Number(container.restartCount ?? 0) > 0)
          lastRestart = Math.max(lastRestart, lastTermination(container));
      }
    }
    let hasRunning = false;
    const statuses = list(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = statuses[i]!;
      restarts += Number(container.restartCount ?? 0);
      if (Number(container.restartCount ?? 0) > 0)
        lastRestart = Math.max(lastRestart, lastTermination(container));
      const state = obj(container.state);
      const waiting = obj(state.waiting);
      const terminated = obj(state.terminated);
      if (state.waiting && waiting.reason) reason = String(waiting.reason);
      else if (state.terminated && terminated.reason) reason = String(terminated.reason);
      else if (state.terminated && !terminated.reason) {
        reason = terminated.signal
          ? `Signal:${String(terminated.signal)}`
          : `ExitCode:${String(terminated.exitCode)}`;
      } else if (container.ready === true && state.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const readyCondition = list(status.conditions).find((c) => c.type === 'Ready');
      reason = readyCondition?.status === 'True' ? 'Running' : 'NotReady';
    }
  }
  if (metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (metadata.deletionTimestamp) reason = 'Terminating';
  if (total === 0) total = 0;
  const restartsText: LiveCell =
    lastRestart > 0
      ? { since: lastRestart, before: `${restarts} (`, after: ' ago)' }
      : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsText };
}

const podPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    ageColumn(),
    column('IP', 'string', doc(`${CORE}.PodStatus`, 'podIP'), 1),
    column('Node', 'string', doc(`${CORE}.PodSpec`, 'nodeName'), 1),
    column('Nominated Node', 'string', doc(`${CORE}.PodStatus`, 'nominatedNodeName'), 1),
    column('Readiness Gates', 'string', doc(`${CORE}.PodSpec`, 'readinessGates'), 1),
  ],
  cells(object) {
    const pod = object as Obj;
    const spec = obj(pod.spec);
    const status = obj(pod.status);
    const { ready, status: text, restarts } = podStatus(pod);
    const ips = list(status.podIPs);
    const gates = list(spec.readinessGates);
    let gatesCell = '<none>';
    if (gates.length) {
      const conditions = list(status.conditions);
      const passing = gates.filter(
        (g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True',
      ).length;
      gatesCell = `${passing}/${gates.length}`;
    }
    return [
      object.metadata.name ?? '',
      ready,
      text,
      restarts,
      ageOf(object.metadata.creationTimestamp),
      ips.length ? String(ips[0]!.ip ?? '') : '<none>',
      spec.nodeName ? String(spec.nodeName) : '<none>',
      status.nominatedNodeName ? String(status.nominatedNodeName) : '<none>',
      gatesCell,
    ];
  },
};

// --------------------------------------------------------------------------------------------
// Nodes

export function nodeRoles(labels: Record<string, string> | undefined): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (
      key.startsWith('node-role.kubernetes.io/') &&
      key.length > 'node-role.kubernetes.io/'.length
    ) {
      roles.add(key.slice('node-role.kubernetes.io/'.length));
    } else if (key === 'kubernetes.io/role' && value) {
      roles.add(value);
    }
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

export function nodeStatusText(node: Obj): string {
  const ready = list(obj(node.status).conditions).find((c) => c.type === 'Ready');
  const parts = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (obj(node.spec).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

const nodePrinter: Printer = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn(),
    column('Version', 'string', doc(`${CORE}.NodeSystemInfo`, 'kubeletVersion')),
    column('Internal-IP', 'string', doc(`${CORE}.NodeStatus`, 'addresses'), 1),
    column('External-IP', 'string', doc(`${CORE}.NodeStatus`, 'addresses'), 1),
    column('OS-Image', 'string', doc(`${CORE}.NodeSystemInfo`, 'osImage'), 1),
    column('Kernel-Version', 'string', doc(`${CORE}.NodeSystemInfo`, 'kernelVersion'), 1),
    column(
      'Container-Runtime',
      'string',
      doc(`${CORE}.NodeSystemInfo`, 'containerRuntimeVersion'),
      1,
    ),
  ],
  cells(object) {
    const node = object as Obj;
    const status = obj(node.status);
    const info = obj(status.nodeInfo);
    const address = (type: string): string =>
      String(list(status.addresses).find((a) => a.type === type)?.address ?? '<none>');
    const orUnknown = (v: unknown): string => (v ? String(v) : '<unknown>');
    return [
      object.metadata.name ?? '',
      nodeStatusText(node),
      nodeRoles(object.metadata.labels),
      ageOf(object.metadata.creationTimestamp),
      String(info.kubeletVersion ?? ''),
      address('InternalIP'),
      address('ExternalIP'),
      orUnknown(info.osImage),
      orUnknown(info.kernelVersion),
      orUnknown(info.containerRuntimeVersion),
    ];
  },
};

// --------------------------------------------------------------------------------------------
// Workloads

const daemonSetPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', doc(`${APPS}.DaemonSetStatus`, 'desiredNumberScheduled')),
    column('Current', 'integer', doc(`${APPS}.DaemonSetStatus`, 'currentNumberScheduled')),
    column('Ready', 'integer', doc(`${APPS}.DaemonSetStatus`, 'numberReady')),
    column('Up-to-date', 'integer', doc(`${APPS}.DaemonSetStatus`, 'updatedNumberScheduled')),
    column('Available', 'integer', doc(`${APPS}.DaemonSetStatus`, 'numberAvailable')),
    column('Node Selector', 'string', doc(`${CORE}.PodSpec`, 'nodeSelector')),
    ageColumn(),
    column('Containers', 'string', 'Names of each container in the template.', 1),
    column('Images', 'string', 'Images referenced by each container in the template.', 1),
    column('Selector', 'string', doc(`${APPS}.DaemonSetSpec`, 'selector'), 1),
  ],
  cells(object) {
    const spec = obj((object as Obj).spec);
    const status = obj((object as Obj).status);
    const podSpec = obj(obj(spec.template).spec);
    const [names, images] = containerCells(podSpec);
    const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
    return [
      object.metadata.name ?? '',
      n(status.desiredNumberScheduled),
      n(status.currentNumberScheduled),
      n(status.numberReady),
      n(status.updatedNumberScheduled),
      n(status.numberAvailable),
      formatLabelMap(podSpec.nodeSelector as Record<string, string> | undefined),
      ageOf(object.metadata.creationTimestamp),
      names,
      images,
      formatLabelSelector(spec.selector as never),
    ];
  },
};

const deploymentPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', doc(`${APPS}.DeploymentStatus`, 'updatedReplicas')),
    column('Available', 'string', doc(`${APPS}.DeploymentStatus`, 'availableReplicas')),
    ageColumn(),
    column('Containers', 'string', 'Names of each container in the template.', 1),
    column('Images', 'string', 'Images referenced by each container in the template.', 1),
    column('Selector', 'string', doc(`${APPS}.DeploymentSpec`, 'selector'), 1),
  ],
  cells(object) {
    const spec = obj((object as Obj).spec);
    const status = obj((object as Obj).status);
    const [names, images] = containerCells(obj(obj(spec.template).spec));
    let selector: string;
    try {
      selector = labelSelectorAsSelector(spec.selector as never).toString();
    } catch {
      selector = '<invalid>';
    }
    const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
    return [
      object.metadata.name ?? '',
      `${n(status.readyReplicas)}/${n(spec.replicas)}`,
      n(status.updatedReplicas),
      n(status.availableReplicas),
      ageOf(object.metadata.creationTimestamp),
      names,
      images,
      selector,
    ];
  },
};

const replicaSetPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', doc(`${APPS}.ReplicaSetSpec`, 'replicas')),
    column('Current', 'integer', doc(`${APPS}.ReplicaSetStatus`, 'replicas')),
    column('Ready', 'integer', doc(`${APPS}.ReplicaSetStatus`, 'readyReplicas')),
    ageColumn(),
    column('Containers', 'string', 'Names of each container in the template.', 1),
    column('Images', 'string', 'Images referenced by each container in the template.', 1),
    column('Selector', 'string', doc(`${APPS}.ReplicaSetSpec`, 'selector'), 1),
  ],
  cells(object) {
    const spec = obj((object as Obj).spec);
    const status = obj((object as Obj).status);
    const [names, images] = containerCells(obj(obj(spec.template).spec));
    const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
    return [
      object.metadata.name ?? '',
      n(spec.replicas),
      n(status.replicas),
      n(status.readyReplicas),
      ageOf(object.metadata.creationTimestamp),
      names,
      images,
      formatLabelSelector(spec.selector as never),
    ];
  },
};

const controllerRevisionPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'string', doc(`${APPS}.ControllerRevision`, 'revision')),
    ageColumn(),
  ],
  cells(object) {
    const owner = (object.metadata.ownerReferences ?? []).find((r) => r.controller === true);
    let controller = '<none>';
    if (owner) {
      const group = owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0] : '';
      controller = `${(group ? `${owner.kind}.${group}` : owner.kind).toLowerCase()}/${owner.name}`;
    }
    return [
      object.metadata.name ?? '',
      controller,
      Number((object as Obj).revision ?? 0),
      ageOf(object.metadata.creationTimestamp),
    ];
  },
};

// --------------------------------------------------------------------------------------------
// Core kinds

function simple(extra: Array<[ColumnDefinition, (o: Obj) => Cell]>): Printer {
  return {
    columns: [nameColumn(), ...extra.map(([c]) => c), ageColumn()],
    cells: (object) => [
      object.metadata.name ?? '',
      ...extra.map(([, cell]) => cell(object as Obj)),
      ageOf(object.metadata.creationTimestamp),
    ],
  };
}

const count = (v: unknown): number =>
  isPlainObject(v) ? Object.keys(v).length : Array.isArray(v) ? v.length : 0;

function servicePorts(spec: Obj): string {
  const ports = list(spec.ports);
  if (!ports.length) return '<none>';
  return ports
    .map((p) =>
      Number(p.nodePort ?? 0) > 0
        ? `${String(p.port)}:${String(p.nodePort)}/${String(p.protocol ?? 'TCP')}`
        : `${String(p.port)}/${String(p.protocol ?? 'TCP')}`,
    )
    .join(',');
}

function serviceExternalIp(service: Obj): string {
  const spec = obj(service.spec);
  const externalIPs = Array.isArray(spec.externalIPs) ? (spec.externalIPs as string[]) : [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = list(obj(obj(service.status).loadBalancer).ingress);
      const addresses = [
        ...new Set(ingress.map((i) => String(i.ip || i.hostname || '')).filter(Boolean)),
      ].sort();
      const lb = addresses.join(',');
      if (externalIPs.length) return [...addresses, ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return String(spec.externalName ?? '');
    default:
      return '<unknown>';
  }
}

const servicePrinter: Printer = {
  columns: [
    nameColumn(),
    column('Type', 'string', doc(`${CORE}.ServiceSpec`, 'type')),
    column('Cluster-IP', 'string', doc(`${CORE}.ServiceSpec`, 'clusterIP')),
    column('External-IP', 'string', doc(`${CORE}.ServiceSpec`, 'externalIPs')),
    column('Port(s)', 'string', doc(`${CORE}.ServiceSpec`, 'ports')),
    ageColumn(),
    column('Selector', 'string', doc(`${CORE}.ServiceSpec`, 'selector'), 1),
  ],
  cells(object) {
    const spec = obj((object as Obj).spec);
    const clusterIPs = Array.isArray(spec.clusterIPs) ? (spec.clusterIPs as string[]) : [];
    return [
      object.metadata.name ?? '',
      String(spec.type ?? ''),
      clusterIPs.length ? clusterIPs[0]! : '<none>',
      serviceExternalIp(object as Obj),
      servicePorts(spec),
      ageOf(object.metadata.creationTimestamp),
      formatLabelMap(spec.selector as Record<string, string> | undefined),
    ];
  },
};

function formatEndpoints(endpoints: Obj): string {
  const subsets = list(endpoints.subsets);
  if (!subsets.length) return '<none>';
  const entries: string[] = [];
  let total = 0;
  const hostPort = (ip: string, port: unknown): string =>
    ip.includes(':') ? `[${ip}]:${String(port)}` : `${ip}:${String(port)}`;
  for (const subset of subsets) {
    const addresses = list(subset.addresses);
    const ports = list(subset.ports);
    if (!ports.length) {
      for (const address of addresses) {
        total++;
        if (entries.length < 3) entries.push(String(address.ip ?? ''));
      }
      continue;
    }
    for (const port of ports) {
      for (const address of addresses) {
        total++;
        if (entries.length < 3) entries.push(hostPort(String(address.ip ?? ''), port.port));
      }
    }
  }
  const text = entries.join(',');
  return total > 3 ? `${text} + ${total - 3} more...` : text;
}

function eventPrinter(): Printer {
  const EVENT = `${CORE}.Event`;
  return {
    columns: [
      column('Last Seen', 'string', doc(EVENT, 'lastTimestamp')),
      column('Type', 'string', doc(EVENT, 'type')),
      column('Reason', 'string', doc(EVENT, 'reason')),
      column('Object', 'string', doc(EVENT, 'involvedObject')),
      column('Subobject', 'string', doc(`${CORE}.ObjectReference`, 'fieldPath'), 1),
      column('Source', 'string', doc(EVENT, 'source'), 1),
      column('Message', 'string', doc(EVENT, 'message')),
      column('First Seen', 'string', doc(EVENT, 'firstTimestamp'), 1),
      column('Count', 'string', doc(EVENT, 'count'), 1),
      column('Name', 'string', doc(META, 'name'), 1, 'name'),
    ],
    cells(object) {
      const event = object as Obj;
      // events.k8s.io/v1 names the same fields differently.
      const involved = obj(event.involvedObject ?? event.regarding);
      const series = obj(event.series);
      const firstSeen =
        typeof event.firstTimestamp === 'string'
          ? ageOf(event.firstTimestamp)
          : typeof event.deprecatedFirstTimestamp === 'string'
            ? ageOf(event.deprecatedFirstTimestamp)
            : ageOf(event.eventTime);
      let lastSeen =
        typeof event.lastTimestamp === 'string'
          ? ageOf(event.lastTimestamp)
          : typeof event.deprecatedLastTimestamp === 'string'
            ? ageOf(event.deprecatedLastTimestamp)
            : firstSeen;
      let total = Number(event.count ?? event.deprecatedCount ?? 0);
      if (event.series) {
        lastSeen = ageOf(series.lastObservedTime);
        total = Number(series.count ?? 0);
      } else if (total === 0) {
        total = 1;
      }
      const source = obj(event.source ?? event.deprecatedSource);
      const component = String(
        source.component || event.reportingController || event.reportingComponent || '',
      );
      const instance = String(source.host || event.reportingInstance || '');
      const kind = String(involved.kind ?? '').toLowerCase();
      return [
        lastSeen,
        String(event.type ?? ''),
        String(event.reason ?? ''),
        involved.name ? `${kind}/${String(involved.name)}` : kind,
        String(involved.fieldPath ?? ''),
        instance ? `${component}, ${instance}` : component,
        String(event.message ?? event.note ?? '').trim(),
        firstSeen,
        total,
        object.metadata.name ?? '',
      ];
    },
  };
}

function intOrStringText(value: unknown): string {
  return value === undefined || value === null ? 'N/A' : String(value);
}

const PRINTERS: Readonly<Record<string, Printer>> = {
  '/pods': podPrinter,
  '/nodes': nodePrinter,
  '/namespaces': simple([
    [
      column('Status', 'string', 'The status of the namespace'),
      (o) => String(obj(o.status).phase ?? ''),
    ],
  ]),
  '/events': eventPrinter(),
  'events.k8s.io/events': eventPrinter(),
  '/configmaps': simple([
    [
      column('Data', 'string', doc(`${CORE}.ConfigMap`, 'data')),
      (o) => count(o.data) + count(o.binaryData),
    ],
  ]),
  '/secrets': simple([
    [column('Type', 'string', doc(`${CORE}.Secret`, 'type')), (o) => String(o.type ?? '')],
    [column('Data', 'string', doc(`${CORE}.Secret`, 'data')), (o) => count(o.data)],
  ]),
  '/services': servicePrinter,
  '/endpoints': simple([
    [column('Endpoints', 'string', doc(`${CORE}.Endpoints`, 'subsets')), (o) => formatEndpoints(o)],
  ]),
  '/serviceaccounts': simple([
    [
      column('Secrets', 'string', doc(`${CORE}.ServiceAccount`, 'secrets')),
      (o) => count(o.secrets),
    ],
  ]),
  'apps/daemonsets': daemonSetPrinter,
  'apps/deployments': deploymentPrinter,
  'apps/replicasets': replicaSetPrinter,
  'apps/controllerrevisions': controllerRevisionPrinter,
  'policy/poddisruptionbudgets': simple([
    [
      column('Min Available', 'string', 'The minimum number of pods that must be available.'),
      (o) => intOrStringText(obj(o.spec).minAvailable),
    ],
    [
      column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
      (o) => intOrStringText(obj(o.spec).maxUnavailable),
    ],
    [
      column(
        'Allowed Disruptions',
        'integer',
        'Calculated number of pods that may be disrupted at this time.',
      ),
      (o) => Number(obj(o.status).disruptionsAllowed ?? 0),
    ],
  ]),
  'coordination.k8s.io/leases': simple([
    [
      column('Holder', 'string', doc('io.k8s.api.coordination.v1.LeaseSpec', 'holderIdentity')),
      (o) => String(obj(o.spec).holderIdentity ?? ''),
    ],
  ]),
  'storage.k8s.io/storageclasses': {
    columns: [
      nameColumn(),
      column('Provisioner', 'string', doc('io.k8s.api.storage.v1.StorageClass', 'provisioner')),
      column('ReclaimPolicy', 'string', doc('io.k8s.api.storage.v1.StorageClass', 'reclaimPolicy')),
      column(
        'VolumeBindingMode',
        'string',
        doc('io.k8s.api.storage.v1.StorageClass', 'volumeBindingMode'),
      ),
      column(
        'AllowVolumeExpansion',
        'string',
        doc('io.k8s.api.storage.v1.StorageClass', 'allowVolumeExpansion'),
      ),
      ageColumn(),
    ],
    cells(object) {
      const sc = object as Obj;
      const annotations = object.metadata.annotations ?? {};
      const isDefault =
        annotations['storageclass.kubernetes.io/is-default-class'] === 'true' ||
        annotations['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
      return [
        `${object.metadata.name ?? ''}${isDefault ? ' (default)' : ''}`,
        String(sc.provisioner ?? ''),
        String(sc.reclaimPolicy ?? 'Delete'),
        String(sc.volumeBindingMode ?? 'Immediate'),
        sc.allowVolumeExpansion === true,
        ageOf(object.metadata.creationTimestamp),
      ];
    },
  },
};

// --------------------------------------------------------------------------------------------
// Kubelab's simulator controls (kubelab.dev/v1alpha1; no upstream counterpart)

const SIM = 'dev.kubelab.v1alpha1';

const clockPrinter = simple([
  [
    column('Pace', 'string', doc(`${SIM}.ClockSpec`, 'pace')),
    (o) => String(obj(o.spec).pace ?? ''),
  ],
  [
    column('Advanced', 'string', doc(`${SIM}.ClockStatus`, 'advancedSeconds')),
    (o) => humanDuration(Number(obj(o.status).advancedSeconds ?? 0) * 1000),
  ],
]);

const kubeletPrinter = simple([
  [
    column('Desired', 'string', doc(`${SIM}.KubeletSpec`, 'state')),
    (o) => String(obj(o.spec).state ?? ''),
  ],
  [
    column('State', 'string', doc(`${SIM}.KubeletStatus`, 'state')),
    (o) => String(obj(o.status).state ?? ''),
  ],
]);

const snapshotPrinter = simple([
  [
    column('Objects', 'integer', doc(`${SIM}.SnapshotStatus`, 'objects')),
    (o) => Number(obj(o.status).objects ?? 0),
  ],
]);

const SIMULATOR_PRINTERS: Readonly<Record<string, Printer>> = {
  'kubelab.dev/snapshots': snapshotPrinter,
  'kubelab.dev/clocks': clockPrinter,
  'kubelab.dev/kubelets': kubeletPrinter,
};

/** The default convertor for kinds without a printer: Name and an absolute `Created At`. */
const defaultPrinter: Printer = {
  columns: [nameColumn(), column('Created At', 'date', doc(META, 'creationTimestamp'))],
  cells: (object) => [object.metadata.name ?? '', String(object.metadata.creationTimestamp ?? '')],
};

/** The printer of a store bucket (`apps/daemonsets`). */
export function printerFor(bucket: string): Printer {
  return PRINTERS[bucket] ?? SIMULATOR_PRINTERS[bucket] ?? defaultPrinter;
}
