/**
 * The simulated kubelet's behaviour as data, after KWOK's stages
 * (kustomize/stage/pod/general/*.yaml: pod-create, pod-ready, pod-complete, pod-delete…): each
 * stage says from which phase it applies, under which condition (a named guard), how long it
 * takes (a named delay), where it leads, which effects it has on the runtime record and which
 * events it records. One interpreter (pods.ts) runs them; the guards, delays and effects it knows
 * by name are small and documented there.
 *
 * The upstream behaviour each stage stands for:
 * - image stages: the image manager's EnsureImageExists (pkg/kubelet/images/image_manager.go),
 *   its per-image back-off (10 s doubling to 5 min) and the event texts of 1.30;
 * - create/start stages: kuberuntime_container.go startContainer (Created, Started, Failed);
 * - restart stages: kuberuntime_manager.go computePodActions / doBackOff (crash back-off 10 s
 *   doubling to 5 min, the first restart immediate);
 * - stop stages: killContainer (Killing, then the grace period unless PID 1 handles SIGTERM);
 * - pod stages: syncPod's admission, volume mounts (FailedMount) and sandbox, SyncTerminatingPod
 *   and the status manager's final delete (grace period 0).
 */
import type { ContainerPhase } from './state';

/** How long a stage takes. Pace-dependent delays are zero under the `Instant` pace. */
export type Delay =
  /** At once. */
  | 'none'
  /** Pulling the image (pace; faster when the node has it; one pull at a time per node). */
  | 'pull'
  /** Creating and starting a container (pace). */
  | 'start'
  /** Creating the pod sandbox and its network (pace). */
  | 'sandbox'
  /** The next pod sync after a runtime event (PLEG relist, ~1 s; pace). */
  | 'sync'
  /** A container ending on SIGTERM (pace), or the grace period when PID 1 ignores it. */
  | 'stop'
  /** Until the image back-off of this pod and image ends (cluster time). */
  | 'imageBackOff'
  /** Until the restart back-off of this container ends (cluster time). */
  | 'crashBackOff'
  /** Until the container's program exits by itself (cluster time). */
  | 'exit'
  /** The pod worker's retry after a sync error: 10 s (cluster time). */
  | 'retry'
  /** The volume manager's retry: 0.5 s doubling to 2m2s (cluster time). */
  | 'mountBackOff';

export type EventType = 'Normal' | 'Warning';

/** An event the kubelet records; `{…}` placeholders are filled by the interpreter. */
export interface EventTemplate {
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

export type ContainerGuard =
  | 'imageInvalid'
  | 'neverPullMissing'
  | 'imagePresent'
  | 'inImageBackOff'
  | 'pullSucceeds'
  | 'configError'
  | 'startError'
  | 'exits'
  | 'restartNow'
  | 'restartLater'
  | 'restartAfterStop';

export type ContainerEffect =
  | 'invalidImage'
  | 'neverPull'
  | 'beginPull'
  | 'cacheImage'
  | 'pullFailed'
  | 'imagePullBackOff'
  | 'configError'
  | 'createInstance'
  | 'startInstance'
  | 'failStart'
  | 'finishInstance'
  | 'crashBackOffNext'
  | 'crashLoopBackOff'
  | 'killInstance'
  | 'takeSpecImage';

export interface ContainerStage {
  readonly name: string;
  readonly from: ContainerPhase;
  readonly when?: ContainerGuard;
  readonly delay: Delay;
  readonly to: ContainerPhase;
  readonly effects?: readonly ContainerEffect[];
  readonly events?: readonly EventTemplate[];
  /** Write the pod status right after this stage, before anything else happens. */
  readonly observe?: boolean;
}

const PULLING: EventTemplate = {
  type: 'Normal',
  reason: 'Pulling',
  message: 'Pulling image "{image}"',
};
const IMAGE_PULL_BACK_OFF: readonly EventTemplate[] = [
  { type: 'Normal', reason: 'BackOff', message: 'Back-off pulling image "{image}"' },
  { type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff' },
];

/**
 * Container stages, tried in order for a container's phase: the first whose guard holds is the
 * one that happens.
 */
export const CONTAINER_STAGES: readonly ContainerStage[] = [
  // EnsureImageExists
  {
    name: 'invalid-image',
    from: 'Waiting',
    when: 'imageInvalid',
    delay: 'none',
    to: 'InvalidImage',
    effects: ['invalidImage'],
    events: [
      {
        type: 'Warning',
        reason: 'InspectFailed',
        message:
          'Failed to apply default image tag "{image}": couldn\'t parse image reference "{image}": {imageError}',
      },
      { type: 'Warning', reason: 'Failed', message: 'Error: InvalidImageName' },
    ],
    observe: true,
  },
  {
    name: 'never-pull',
    from: 'Waiting',
    when: 'neverPullMissing',
    delay: 'none',
    to: 'NeverPull',
    effects: ['neverPull'],
    events: [
      {
        type: 'Warning',
        reason: 'ErrImageNeverPull',
        message: 'Container image "{image}" is not present with pull policy of Never',
      },
      { type: 'Warning', reason: 'Failed', message: 'Error: ErrImageNeverPull' },
    ],
    observe: true,
  },
  {
    name: 'image-present',
    from: 'Waiting',
    when: 'imagePresent',
    delay: 'none',
    to: 'Creating',
    events: [
      {
        type: 'Normal',
        reason: 'Pulled',
        message: 'Container image "{image}" already present on machine',
      },
    ],
  },
  {
    name: 'still-backing-off',
    from: 'Waiting',
    when: 'inImageBackOff',
    delay: 'none',
    to: 'PullBackOff',
    effects: ['imagePullBackOff'],
    events: IMAGE_PULL_BACK_OFF,
    observe: true,
  },
  {
    name: 'pull',
    from: 'Waiting',
    delay: 'none',
    to: 'Pulling',
    effects: ['beginPull'],
    events: [PULLING],
  },
  {
    name: 'pulled',
    from: 'Pulling',
    when: 'pullSucceeds',
    delay: 'pull',
    to: 'Creating',
    effects: ['cacheImage'],
    events: [
      {
        type: 'Normal',
        reason: 'Pulled',
        message:
          'Successfully pulled image "{image}" in {pullDuration} ({pullTotal} including waiting). Image size: {imageSize} bytes.',
      },
    ],
  },
  {
    name: 'pull-failed',
    from: 'Pulling',
    delay: 'pull',
    to: 'PullFailed',
    effects: ['pullFailed'],
    events: [
      { type: 'Warning', reason: 'Failed', message: 'Failed to pull image "{image}": {pullError}' },
      { type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' },
    ],
    observe: true,
  },
  {
    name: 'pull-back-off',
    from: 'PullFailed',
    delay: 'sync',
    to: 'PullBackOff',
    effects: ['imagePullBackOff'],
    events: IMAGE_PULL_BACK_OFF,
    observe: true,
  },
  { name: 'pull-retry', from: 'PullBackOff', delay: 'imageBackOff', to: 'Waiting' },
  { name: 'never-pull-retry', from: 'NeverPull', delay: 'retry', to: 'Waiting' },
  { name: 'invalid-image-retry', from: 'InvalidImage', delay: 'retry', to: 'Waiting' },

  // startContainer
  {
    name: 'config-error',
    from: 'Creating',
    when: 'configError',
    delay: 'start',
    to: 'ConfigError',
    effects: ['configError'],
    events: [{ type: 'Warning', reason: 'Failed', message: 'Error: {configError}' }],
    observe: true,
  },
  {
    name: 'start-error',
    from: 'Creating',
    when: 'startError',
    delay: 'start',
    to: 'Exited',
    effects: ['createInstance', 'failStart'],
    events: [
      { type: 'Normal', reason: 'Created', message: 'Created container {container}' },
      { type: 'Warning', reason: 'Failed', message: 'Error: {startError}' },
    ],
    observe: true,
  },
  {
    name: 'started',
    from: 'Creating',
    delay: 'start',
    to: 'Running',
    effects: ['createInstance', 'startInstance'],
    events: [
      { type: 'Normal', reason: 'Created', message: 'Created container {container}' },
      { type: 'Normal', reason: 'Started', message: 'Started container {container}' },
    ],
  },
  { name: 'config-retry', from: 'ConfigError', delay: 'retry', to: 'Creating' },

  // The program ends by itself.
  {
    name: 'exited',
    from: 'Running',
    when: 'exits',
    delay: 'exit',
    to: 'Exited',
    effects: ['finishInstance'],
    observe: true,
  },

  // computePodActions + doBackOff
  {
    name: 'restart',
    from: 'Exited',
    when: 'restartNow',
    delay: 'sync',
    to: 'Waiting',
    effects: ['crashBackOffNext'],
  },
  {
    name: 'crash-back-off',
    from: 'Exited',
    when: 'restartLater',
    delay: 'sync',
    to: 'CrashBackOff',
    effects: ['crashLoopBackOff'],
    events: [
      {
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off restarting failed container {container} in pod {pod}',
      },
    ],
    observe: true,
  },
  {
    name: 'restart-after-back-off',
    from: 'CrashBackOff',
    delay: 'crashBackOff',
    to: 'Waiting',
    effects: ['crashBackOffNext'],
  },

  // killContainer
  {
    name: 'stopped',
    from: 'Stopping',
    delay: 'stop',
    to: 'Stopped',
    effects: ['killInstance'],
  },
  {
    name: 'restart-changed',
    from: 'Stopped',
    when: 'restartAfterStop',
    delay: 'sync',
    to: 'Waiting',
    effects: ['takeSpecImage'],
  },
];

/** The Killing event, by why the container is stopped. */
export const KILLING_EVENTS: Readonly<Record<'delete' | 'spec' | 'finish', EventTemplate>> = {
  delete: { type: 'Normal', reason: 'Killing', message: 'Stopping container {container}' },
  finish: { type: 'Normal', reason: 'Killing', message: 'Stopping container {container}' },
  spec: {
    type: 'Normal',
    reason: 'Killing',
    message: 'Container {container} definition changed, will be restarted',
  },
};

/** The pod's own phases in the kubelet (its pod worker and sandbox). */
export type PodPhase =
  /** Not admitted yet. */
  | 'New'
  /** Admitted (startTime set), volumes and sandbox to come. */
  | 'Admitted'
  /** A volume could not be mounted: waiting to retry. */
  | 'MountWait'
  /** The sandbox is up; containers go through their stages. */
  | 'Running'
  /** Every container is done and none restarts: sandbox removed, phase Succeeded/Failed. */
  | 'Finished'
  /** Being deleted: containers being stopped. */
  | 'Killing'
  /** Deleted through the API. */
  | 'Gone';

export type PodGuard =
  'volumeMissing' | 'deleting' | 'allStopped' | 'onlySidecarsRun' | 'podFinished';

export type PodEffect =
  | 'admit'
  | 'mountFailed'
  | 'createSandbox'
  | 'kill'
  | 'stopSidecars'
  | 'removeSandbox'
  | 'writeStatus'
  | 'deletePod';

export interface PodStage {
  readonly name: string;
  readonly from: readonly PodPhase[];
  readonly when?: PodGuard;
  readonly delay: Delay;
  readonly to: PodPhase;
  readonly effects?: readonly PodEffect[];
  readonly events?: readonly EventTemplate[];
  readonly observe?: boolean;
}

/** Pod stages, tried in order for the pod's phase. */
export const POD_STAGES: readonly PodStage[] = [
  // A pod being deleted is killed whatever it was doing (SyncTerminatingPod).
  {
    name: 'kill',
    from: ['New', 'Admitted', 'MountWait', 'Running', 'Finished'],
    when: 'deleting',
    delay: 'none',
    to: 'Killing',
    effects: ['kill'],
  },
  {
    name: 'terminated',
    from: ['Killing'],
    when: 'allStopped',
    delay: 'none',
    to: 'Gone',
    effects: ['removeSandbox', 'writeStatus', 'deletePod'],
  },
  {
    name: 'admit',
    from: ['New'],
    delay: 'none',
    to: 'Admitted',
    effects: ['admit'],
    observe: true,
  },
  {
    name: 'mount-failed',
    from: ['Admitted'],
    when: 'volumeMissing',
    delay: 'none',
    to: 'MountWait',
    effects: ['mountFailed'],
    events: [{ type: 'Warning', reason: 'FailedMount', message: '{mountError}' }],
  },
  { name: 'mount-retry', from: ['MountWait'], delay: 'mountBackOff', to: 'Admitted' },
  {
    name: 'sandbox',
    from: ['Admitted'],
    delay: 'sandbox',
    to: 'Running',
    effects: ['createSandbox'],
  },
  {
    name: 'stop-sidecars',
    from: ['Running'],
    when: 'onlySidecarsRun',
    delay: 'none',
    to: 'Running',
    effects: ['stopSidecars'],
  },
  {
    name: 'finished',
    from: ['Running'],
    when: 'podFinished',
    delay: 'sync',
    to: 'Finished',
    effects: ['removeSandbox'],
  },
];

/** Delay ranges (ms) of the two paces; `[min, max]` drawn uniformly from the injected random. */
export interface PaceDelays {
  /** An image pull: a base plus so much per megabyte of image. */
  readonly pullBase: readonly [number, number];
  readonly pullPerMegabyte: number;
  /** A pull of an image the node already has (`imagePullPolicy: Always`): the manifest check. */
  readonly cachedPull: readonly [number, number];
  readonly start: readonly [number, number];
  readonly sandbox: readonly [number, number];
  readonly sync: readonly [number, number];
  readonly stop: readonly [number, number];
  /** How late a probe's first success comes after its initial delay. */
  readonly probe: readonly [number, number];
}

export const PACES: Readonly<Record<'Instant' | 'Realistic', PaceDelays>> = {
  Instant: {
    pullBase: [0, 0],
    pullPerMegabyte: 0,
    cachedPull: [0, 0],
    start: [0, 0],
    sandbox: [0, 0],
    sync: [0, 0],
    stop: [0, 0],
    probe: [0, 0],
  },
  Realistic: {
    pullBase: [500, 900],
    pullPerMegabyte: 8,
    cachedPull: [250, 650],
    start: [300, 600],
    sandbox: [200, 500],
    sync: [400, 1200],
    stop: [100, 400],
    probe: [0, 1000],
  },
};

/** kubelet back-offs (pkg/kubelet/kubelet.go: backOffPeriod, MaxContainerBackOff). */
export const BACKOFF = {
  initialMs: 10_000,
  maxMs: 300_000,
  /** The pod worker's requeue after an error (workerBackOffPeriod). */
  retryMs: 10_000,
  /** The volume manager's exponential back-off (nestedpendingoperations). */
  mountInitialMs: 500,
  mountMaxMs: 122_000,
} as const;
