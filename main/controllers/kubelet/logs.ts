/**
 * Container logs of the simulated nodes: the `PodRuntime` the API server's `pods/log` handler
 * asks (apiserver/http/resources.ts). Which container's output is served, and the errors when
 * there is none, follow the kubelet's `validateContainerLogStatus` (pkg/kubelet/kubelet_pods.go);
 * the lines are what the container's program (programs.ts) prints from the moment its instance
 * started, so `kubectl logs` of a pod running `while true; do date; sleep 5; done` grows by a
 * line every five seconds of cluster time. Options follow the kubelet's log reader: `tailLines`,
 * `sinceSeconds`, `limitBytes`, `timestamps` (RFC 3339 with nanoseconds), `previous`.
 *
 * Deviations: environment values come from the ConfigMaps and Secrets as they are now, not as
 * they were when the container started; a log keeps its last 10,000 lines (the kubelet serves
 * the current log file, which containerd rotates at 10 MiB).
 */
import type { Clock } from '../../base/clock';
import { isPlainObject, type KubeObject } from '../../kube/objects';
import { findResource } from '../../kube/resources';
import { errors, StatusError } from '../../kube/status';
import type { Registry } from '../../apiserver/registry/registry';
import type { LogOptions, PodRuntime } from '../../apiserver/http/resources';
import { resolveEnv, type ConfigSource } from './env';
import { internalIP } from './heartbeat';
import { fnv32a } from '../util/controller-util';
import { parseImage } from './images';
import { programFor, simulate } from './programs';
import type { LogLine } from './shell';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

const nodes = findResource('', 'v1', 'nodes')!;
const kubelets = findResource('kubelab.dev', 'v1alpha1', 'kubelets')!;
const configMaps = findResource('', 'v1', 'configmaps')!;
const secrets = findResource('', 'v1', 'secrets')!;

/** The most lines a log keeps. */
export const MAX_LOG_LINES = 10_000;

export interface LogRuntimeDeps {
  readonly registry: Registry;
  readonly clock: Clock;
}

/** Reads ConfigMaps and Secrets through the registry (Secret data decoded). */
export function registryConfigSource(registry: Registry): ConfigSource {
  const read = (
    type: typeof configMaps,
    namespace: string,
    name: string,
  ): KubeObject | undefined => {
    try {
      return registry.get(type, namespace, name);
    } catch (error) {
      if (error instanceof StatusError && error.code === 404) return undefined;
      throw error;
    }
  };
  return {
    configMap(namespace, name) {
      const cm = read(configMaps, namespace, name);
      if (!cm) return undefined;
      const data: Record<string, string> = {};
      for (const [key, value] of Object.entries(obj(cm.data))) data[key] = String(value);
      return data;
    },
    secret(namespace, name) {
      const secret = read(secrets, namespace, name);
      if (!secret) return undefined;
      const data: Record<string, string> = {};
      for (const [key, value] of Object.entries(obj(secret.data))) {
        data[key] = decodeBase64(String(value));
      }
      for (const [key, value] of Object.entries(obj(secret.stringData))) data[key] = String(value);
      return data;
    },
  };
}

function decodeBase64(text: string): string {
  try {
    const binary = atob(text);
    return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.codePointAt(0)!));
  } catch {
    return text;
  }
}

/** RFC 3339 with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano). */
function nanoTime(at: number, nanos: number): string {
  const iso = new Date(at).toISOString();
  const fraction = `${iso.slice(20, 23)}${String(nanos).padStart(6, '0')}`.replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

/**
 * Sub-millisecond parts for lines' timestamps: stable for a line, increasing among the lines
 * written in the same millisecond (a burst of startup lines keeps its order).
 */
function subMillis(lines: readonly LogLine[]): number[] {
  const out: number[] = [];
  let previous = -1;
  let nanos = 0;
  for (const line of lines) {
    if (line.at !== previous) nanos = fnv32a(`${line.at}`) % 200_000;
    else nanos = Math.min(999_999, nanos + 1_000 + (fnv32a(`${line.at}:${nanos}`) % 40_000));
    previous = line.at;
    out.push(nanos);
  }
  return out;
}

interface Instance {
  readonly start: number;
  readonly end: number | undefined;
}

function parseTime(value: unknown): number | undefined {
  const ms = Date.parse(String(value ?? ''));
  return Number.isFinite(ms) ? ms : undefined;
}

function terminatedInstance(state: Obj): Instance {
  const t = obj(state.terminated);
  const start = parseTime(t.startedAt);
  if (start === undefined || start <= 0) return { start: 0, end: 0 };
  return { start, end: parseTime(t.finishedAt) };
}

/** The `PodRuntime` of the embedded cluster's simulated nodes. */
export class SimulatedLogs implements PodRuntime {
  private readonly config: ConfigSource;

  constructor(private readonly deps: LogRuntimeDeps) {
    this.config = registryConfigSource(deps.registry);
  }

  logs(pod: KubeObject, container: string, options: LogOptions): string {
    const podName = pod.metadata.name ?? '';
    const spec = obj(pod.spec);
    this.checkKubelet(String(spec.nodeName ?? ''), pod, container);
    const status = obj(pod.status);
    const statuses = [
      ...list(status.containerStatuses),
      ...list(status.initContainerStatuses),
      ...list(status.ephemeralContainerStatuses),
    ];
    const containerStatus = statuses.find((s) => s.name === container);
    const named = `container ${JSON.stringify(container)} in pod ${JSON.stringify(podName)}`;
    if (!containerStatus) throw errors.badRequest(`${named} is not available`);
    const state = obj(containerStatus.state);
    const last = obj(containerStatus.lastState);
    let instance: Instance;
    if (options.previous) {
      if (!isPlainObject(last.terminated) || !obj(last.terminated).containerID) {
        throw errors.badRequest(
          `previous terminated container ${JSON.stringify(container)} in pod ${JSON.stringify(podName)} not found`,
        );
      }
      instance = terminatedInstance(last);
    } else if (isPlainObject(state.running)) {
      instance = { start: parseTime(obj(state.running).startedAt) ?? 0, end: undefined };
    } else if (isPlainObject(state.terminated)) {
      if (obj(state.terminated).containerID) instance = terminatedInstance(state);
      else if (isPlainObject(last.terminated) && obj(last.terminated).containerID)
        instance = terminatedInstance(last);
      else throw errors.badRequest(`${named} is terminated`);
    } else if (isPlainObject(last.terminated)) {
      if (!obj(last.terminated).containerID) throw errors.badRequest(`${named} is terminated`);
      instance = terminatedInstance(last);
    } else if (isPlainObject(state.waiting)) {
      const reason = String(obj(state.waiting).reason ?? '');
      if (reason === 'ErrImagePull')
        throw errors.badRequest(`${named} is waiting to start: image can't be pulled`);
      if (reason === 'ImagePullBackOff')
        throw errors.badRequest(`${named} is waiting to start: trying and failing to pull image`);
      throw errors.badRequest(`${named} is waiting to start: ${reason}`);
    } else {
      throw errors.badRequest(`${named} is waiting to start - no logs yet`);
    }
    const lines = this.lines(pod, container, instance, options.tailLines);
    return this.format(lines, options);
  }

  /** A stopped kubelet serves nothing: the API server cannot reach it. */
  private checkKubelet(nodeName: string, pod: KubeObject, container: string): void {
    if (!nodeName) return;
    let kubelet: KubeObject | undefined;
    let node: KubeObject | undefined;
    try {
      kubelet = this.deps.registry.get(kubelets, '', nodeName);
      node = this.deps.registry.get(nodes, '', nodeName);
    } catch (error) {
      if (!(error instanceof StatusError) || error.code !== 404) throw error;
    }
    if (obj(kubelet?.spec).state !== 'Stopped') return;
    const ip = internalIP(node) ?? nodeName;
    const { namespace = '', name = '' } = pod.metadata;
    throw errors.plain(
      `Get "https://${ip}:10250/containerLogs/${namespace}/${name}/${container}": dial tcp ${ip}:10250: connect: connection refused`,
    );
  }

  private lines(
    pod: KubeObject,
    container: string,
    instance: Instance,
    tailLines: number | undefined,
  ): LogLine[] {
    if (instance.start <= 0) return [];
    const now = this.deps.clock.now();
    const horizon = Math.min(now, instance.end ?? now);
    const spec = obj(pod.spec);
    const containerSpec = [...list(spec.containers), ...list(spec.initContainers)].find(
      (c) => c.name === container,
    );
    if (!containerSpec) return [];
    const maxLines = Math.min(MAX_LOG_LINES, tailLines ?? MAX_LOG_LINES);
    const result = this.run(
      pod,
      containerSpec,
      instance.start,
      horizon,
      Math.max(1, maxLines),
      true,
    );
    return result.filter((line) => line.at <= horizon);
  }

  private run(
    pod: KubeObject,
    container: Obj,
    start: number,
    horizon: number,
    maxLines: number,
    withFiles: boolean,
  ): LogLine[] {
    return this.simulateContainer(pod, container, start, horizon, maxLines, withFiles).lines;
  }

  private simulateContainer(
    pod: KubeObject,
    container: Obj,
    start: number,
    horizon: number,
    maxLines: number,
    withFiles: boolean,
  ): { lines: LogLine[]; files: ReadonlyMap<string, { lines: LogLine[] }> } {
    const status = obj(pod.status);
    const podIP = String(status.podIP ?? '');
    const hostIP = String(status.hostIP ?? '');
    const env = resolveEnv(pod, container, this.config, podIP, hostIP);
    const parsed = parseImage(String(container.image ?? ''));
    const ref = parsed.ok ? parsed.ref : undefined;
    const program = programFor(
      {
        command: Array.isArray(container.command) ? container.command.map(String) : undefined,
        args: Array.isArray(container.args) ? container.args.map(String) : undefined,
      },
      ref,
      env.ok ? env.env : new Map(),
    );
    const result = simulate(
      program,
      {
        env: env.ok ? env.env : new Map(),
        hostname: pod.metadata.name ?? '',
        podIP,
        hostIP,
        kernel: '6.1.0-kubelab',
        stdin: container.stdin === true,
        ...(withFiles
          ? {
              readFile: (path: string, until: number) =>
                this.sharedFile(pod, container, path, until),
            }
          : {}),
      },
      { start, horizon, maxLines, ref },
    );
    return { lines: [...result.lines], files: result.files };
  }

  /**
   * Lines other containers of the pod wrote to the file at `path` in `reader`'s view, through
   * a volume both mount (the logging-sidecar pattern: one writes, the other tails).
   */
  private sharedFile(
    pod: KubeObject,
    reader: Obj,
    path: string,
    until: number,
  ): LogLine[] | undefined {
    const target = volumePath(reader, path);
    if (!target) return undefined;
    const spec = obj(pod.spec);
    const status = obj(pod.status);
    const statuses = [...list(status.containerStatuses), ...list(status.initContainerStatuses)];
    let found: LogLine[] | undefined;
    for (const writer of [...list(spec.initContainers), ...list(spec.containers)]) {
      if (writer.name === reader.name) continue;
      const mount = list(writer.volumeMounts).find((m) => m.name === target.volume);
      if (!mount) continue;
      const writerStatus = statuses.find((s) => s.name === writer.name);
      const state = obj(writerStatus?.state);
      const started =
        parseTime(obj(state.running).startedAt) ?? parseTime(obj(state.terminated).startedAt);
      if (started === undefined || started <= 0) continue;
      const ended = parseTime(obj(state.terminated).finishedAt);
      const horizon = Math.min(until, ended ?? until);
      const { files } = this.simulateContainer(pod, writer, started, horizon, MAX_LOG_LINES, false);
      const mountPath = String(mount.mountPath ?? '').replace(/\/+$/, '');
      const subPath = String(mount.subPath ?? '');
      const rel = subPath
        ? target.rel.replace(new RegExp(`^${escapeRegExp(subPath)}/?`), '')
        : target.rel;
      const writerPath = `${mountPath}/${rel}`;
      const written = files.get(writerPath);
      if (written) found = [...(found ?? []), ...written.lines];
    }
    return found?.sort((a, b) => a.at - b.at);
  }

  private format(lines: readonly LogLine[], options: LogOptions): string {
    const now = this.deps.clock.now();
    const nanos = options.timestamps ? subMillis(lines) : [];
    let selected = lines.map((line, i) => ({ line, i }));
    if (options.sinceSeconds !== undefined) {
      const since = now - options.sinceSeconds * 1000;
      selected = selected.filter(({ line }) => line.at >= since);
    }
    if (options.tailLines !== undefined) {
      selected = options.tailLines <= 0 ? [] : selected.slice(-options.tailLines);
    }
    let text = selected
      .map(({ line, i }) =>
        options.timestamps ? `${nanoTime(line.at, nanos[i]!)} ${line.text}\n` : `${line.text}\n`,
      )
      .join('');
    if (options.limitBytes !== undefined && options.limitBytes >= 0) {
      const bytes = new TextEncoder().encode(text);
      if (bytes.length > options.limitBytes)
        text = new TextDecoder().decode(bytes.slice(0, options.limitBytes));
    }
    return text;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Which volume (and path inside it) a container's path falls in: its longest mount. */
function volumePath(container: Obj, path: string): { volume: string; rel: string } | undefined {
  let best: { volume: string; rel: string; length: number } | undefined;
  for (const mount of list(container.volumeMounts)) {
    const mountPath = String(mount.mountPath ?? '').replace(/\/+$/, '');
    if (!mountPath || !(path === mountPath || path.startsWith(`${mountPath}/`))) continue;
    if (best && best.length >= mountPath.length) continue;
    const inside = path.slice(mountPath.length + 1);
    const subPath = String(mount.subPath ?? '');
    best = {
      volume: String(mount.name ?? ''),
      rel: subPath ? `${subPath}/${inside}`.replace(/\/$/, '') : inside,
      length: mountPath.length,
    };
  }
  return best ? { volume: best.volume, rel: best.rel } : undefined;
}
