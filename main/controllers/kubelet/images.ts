/**
 * Images as a node's container runtime (containerd 1.7, as on kind) sees them: reference parsing
 * and normalization after github.com/distribution/reference (`ParseNormalizedNamed`,
 * `splitDockerDomain`), the kubelet's `applyDefaultImageTag` (pkg/kubelet/images/image_manager.go),
 * and a bundled catalogue of well-known repositories that decides whether a pull succeeds.
 *
 * The embedded cluster has no registry. A learner's typo must still fail the way Docker Hub makes
 * it fail, so the catalogue answers three questions from data:
 * - a known repository with a tag that can exist pulls (`nginx`, `nginx:1.27`, `nginx:1.27.3-alpine`);
 * - a known repository with a tag that cannot exist (`nginx:1.99999`, `nginx:lates`) is `not found`;
 * - an unknown repository a small typo away from a known one (`ngnix`, `busybx`) is denied, as
 *   Docker Hub denies a repository that does not exist;
 * - any other repository is assumed to exist (private registries, images the catalogue lacks).
 * Deviation: "can exist" is judged from version bounds and tag shapes, not from the registries'
 * tag lists, so a tag inside the bounds that was never published (`nginx:1.27.99`) still pulls.
 */
import { fnv32a } from '../util/controller-util';

/** A parsed image reference. */
export interface ImageReference {
  /** As written in the pod spec. */
  readonly original: string;
  /** `docker.io`, `registry.k8s.io`, `quay.io`, `localhost:5000`. */
  readonly domain: string;
  /** `library/nginx`, `fluent/fluent-bit`, `coredns/coredns`. */
  readonly path: string;
  /** `docker.io/library/nginx`. */
  readonly repository: string;
  /** The tag; `latest` when neither a tag nor a digest was given. */
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  /** What containerd reports as the image: `docker.io/library/nginx:latest`. */
  readonly normalized: string;
  /** `nginx:latest` when the spec says `nginx` (the kubelet's applyDefaultImageTag). */
  readonly defaulted: string;
}

export type ParsedImage =
  | { readonly ok: true; readonly ref: ImageReference }
  | { readonly ok: false; readonly error: string };

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(
  `^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);

/**
 * `reference.ParseNormalizedNamed`: the errors are worded as the library words them, which the
 * kubelet wraps as `couldn't parse image reference "<image>": <error>`.
 */
export function parseImage(image: string): ParsedImage {
  if (image.length === 0) return { ok: false, error: 'invalid reference format' };
  const match = REFERENCE.exec(image);
  if (!match) {
    // ErrNameContainsUppercase: the reference would parse if it were lower case.
    if (image !== image.toLowerCase() && REFERENCE.test(lowerName(image))) {
      return { ok: false, error: 'invalid reference format: repository name must be lowercase' };
    }
    return { ok: false, error: 'invalid reference format' };
  }
  const name = match[1]!;
  if (name.length > 255) {
    return {
      ok: false,
      error: 'invalid reference format: repository name must not be more than 255 characters',
    };
  }
  const { domain, path } = splitDockerDomain(name);
  if (path !== path.toLowerCase()) {
    return { ok: false, error: 'invalid reference format: repository name must be lowercase' };
  }
  const explicitTag = match[2];
  const digest = match[3];
  const repository = `${domain}/${path}`;
  const tag = explicitTag ?? (digest ? undefined : 'latest');
  const normalized = `${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  return {
    ok: true,
    ref: {
      original: image,
      domain,
      path,
      repository,
      tag,
      digest,
      normalized,
      defaulted: explicitTag || digest ? image : `${image}:latest`,
    },
  };
}

/** Lower-cases the name part only (before a tag), to tell an upper-case name from junk. */
function lowerName(image: string): string {
  const at = image.indexOf('@');
  const head = at < 0 ? image : image.slice(0, at);
  const colon = head.lastIndexOf(':');
  const slash = head.lastIndexOf('/');
  const nameEnd = colon > slash ? colon : head.length;
  return head.slice(0, nameEnd).toLowerCase() + image.slice(nameEnd);
}

/** `splitDockerDomain`: no domain means Docker Hub, and one-component names are `library/`. */
function splitDockerDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  let domain = 'docker.io';
  let path = name;
  if (slash >= 0) {
    const first = name.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      domain = first;
      path = name.slice(slash + 1);
    }
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return { domain, path };
}

// ---------------------------------------------------------------------------------------------
// The catalogue

/** How a version-shaped tag is judged: bounds and the suffixes the repository publishes. */
export interface VersionRule {
  /** The newest release published (mid 2025), e.g. `1.29.0`. */
  readonly newest: string;
  /** The oldest release still published. */
  readonly oldest: string;
  /** `v` when the repository's version tags start with it (`v1.30.14`). */
  readonly prefix?: 'v';
  /** Largest minor of an older major / largest patch of an older minor. Default 40 / 40. */
  readonly maxMinor?: number;
  readonly maxPatch?: number;
  /** Suffixes allowed after `-` (regular expressions, anchored), e.g. `alpine(3\.\d+)?`. */
  readonly variants?: readonly string[];
}

/** A well-known repository: which tags exist and what it weighs. */
export interface CatalogueEntry {
  /** The normalized repository, `docker.io/library/nginx`. */
  readonly repository: string;
  /** Tags that are names, not versions (`latest`, `stable`, `alpine`). */
  readonly named: readonly string[];
  readonly versions?: VersionRule;
  /** Tags of another shape (kindnetd's `v20240513-cd2ac642`), as anchored regular expressions. */
  readonly patterns?: readonly string[];
  /** The compressed size containerd reports for the image (`Image size: … bytes`). */
  readonly sizeBytes: number;
  /** The version `latest` points at, shown in logs (`nginx/1.29.0`). */
  readonly latest: string;
}

const ALPINE = 'alpine(3\\.\\d+)?';
const DEBIAN = '(bookworm|bullseye|buster|trixie)';

/**
 * Well-known repositories with their real-looking tags. Add to this list rather than to code: a
 * learner's image that is missing here is simply assumed to exist.
 */
export const IMAGE_CATALOGUE: readonly CatalogueEntry[] = [
  {
    repository: 'docker.io/library/nginx',
    named: [
      'latest',
      'stable',
      'mainline',
      'alpine',
      'alpine-slim',
      'alpine-perl',
      'alpine-otel',
      'perl',
      'otel',
      'bookworm',
      'bookworm-perl',
      'bookworm-otel',
      'stable-alpine',
      'stable-alpine-slim',
      'stable-alpine-perl',
      'stable-perl',
      'stable-bookworm',
      'mainline-alpine',
      'mainline-alpine-slim',
      'mainline-alpine-perl',
      'mainline-perl',
      'mainline-bookworm',
    ],
    versions: {
      newest: '1.29.0',
      oldest: '1.0',
      variants: [`${ALPINE}(-slim|-perl|-otel)?`, `(${DEBIAN}|perl|otel)(-perl|-otel)?`],
    },
    sizeBytes: 72_195_292,
    latest: '1.29.0',
  },
  {
    repository: 'docker.io/library/busybox',
    named: ['latest', 'stable', 'unstable', 'glibc', 'musl', 'uclibc'],
    versions: {
      newest: '1.37.0',
      oldest: '1.21',
      variants: ['(glibc|musl|uclibc)'],
    },
    sizeBytes: 2_167_176,
    latest: '1.37.0',
  },
  {
    repository: 'docker.io/library/httpd',
    named: ['latest', 'alpine', 'bookworm'],
    versions: { newest: '2.4.63', oldest: '2.2', maxPatch: 70, variants: [ALPINE, DEBIAN] },
    sizeBytes: 58_235_164,
    latest: '2.4.63',
  },
  {
    repository: 'docker.io/library/redis',
    named: ['latest', 'alpine', 'bookworm'],
    versions: { newest: '8.0.2', oldest: '2.6', variants: [ALPINE, DEBIAN] },
    sizeBytes: 52_914_630,
    latest: '8.0.2',
  },
  {
    repository: 'docker.io/library/memcached',
    named: ['latest', 'alpine', 'bookworm'],
    versions: { newest: '1.6.38', oldest: '1.4', variants: [ALPINE, DEBIAN] },
    sizeBytes: 32_480_251,
    latest: '1.6.38',
  },
  {
    repository: 'docker.io/library/alpine',
    named: ['latest', 'edge'],
    versions: { newest: '3.22.0', oldest: '2.6' },
    sizeBytes: 3_653_068,
    latest: '3.22.0',
  },
  {
    repository: 'docker.io/library/ubuntu',
    named: [
      'latest',
      'rolling',
      'devel',
      'plucky',
      'oracular',
      'noble',
      'jammy',
      'focal',
      'bionic',
      'xenial',
      'trusty',
    ],
    patterns: ['(1[0-9]|2[0-4])\\.(04|10)', '25\\.04', '(noble|jammy|focal|plucky)-20\\d{6}'],
    sizeBytes: 29_754_422,
    latest: '24.04',
  },
  {
    repository: 'docker.io/library/debian',
    named: ['latest', 'stable', 'testing', 'unstable', 'bookworm', 'bookworm-slim', 'bullseye'],
    patterns: ['(bookworm|bullseye|buster|trixie)(-slim|-\\d{8})?'],
    versions: { newest: '12.11', oldest: '6', maxPatch: 15, variants: ['slim'] },
    sizeBytes: 48_478_218,
    latest: '12.11',
  },
  {
    repository: 'docker.io/library/postgres',
    named: ['latest', 'alpine', 'bookworm', 'bullseye'],
    versions: { newest: '17.5', oldest: '9.2', variants: [ALPINE, DEBIAN] },
    patterns: ['18beta1(-' + ALPINE + '|-' + DEBIAN + ')?'],
    sizeBytes: 157_964_317,
    latest: '17.5',
  },
  {
    repository: 'docker.io/library/mysql',
    named: ['latest', 'lts', 'innovation', 'oracle', 'debian', 'lts-oracle', 'innovation-oracle'],
    versions: { newest: '9.3.0', oldest: '5.5', variants: ['(oracle|debian)'] },
    sizeBytes: 240_187_522,
    latest: '9.3.0',
  },
  {
    repository: 'docker.io/library/fluentd',
    named: ['latest', 'edge', 'edge-debian'],
    versions: {
      newest: '1.18.0',
      oldest: '0.12',
      prefix: 'v',
      variants: ['(debian-)?\\d(\\.\\d)?', 'debian(-arm64|-armhf)?(-\\d(\\.\\d)?)?'],
    },
    sizeBytes: 45_233_409,
    latest: '1.18.0',
  },
  {
    repository: 'docker.io/fluent/fluentd',
    named: ['latest', 'edge', 'edge-debian'],
    versions: {
      newest: '1.18.0',
      oldest: '0.12',
      prefix: 'v',
      variants: ['(debian-)?\\d(\\.\\d)?', 'debian(-arm64|-armhf)?(-\\d(\\.\\d)?)?'],
    },
    sizeBytes: 45_233_409,
    latest: '1.18.0',
  },
  {
    repository: 'docker.io/fluent/fluent-bit',
    named: ['latest', 'latest-debug', 'debug'],
    versions: { newest: '4.0.3', oldest: '0.12', variants: ['debug'] },
    sizeBytes: 35_612_905,
    latest: '4.0.3',
  },
  {
    repository: 'registry.k8s.io/pause',
    named: ['latest'],
    versions: { newest: '3.10', oldest: '0.8.0', maxMinor: 10 },
    sizeBytes: 320_368,
    latest: '3.10',
  },
  ...['kube-proxy', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map(
    (name): CatalogueEntry => ({
      repository: `registry.k8s.io/${name}`,
      named: [],
      versions: { newest: '1.33.2', oldest: '1.0.0', prefix: 'v', maxPatch: 20 },
      sizeBytes: name === 'kube-proxy' ? 29_031_504 : 32_652_219,
      latest: '1.30.14',
    }),
  ),
  {
    repository: 'registry.k8s.io/etcd',
    named: [],
    versions: { newest: '3.5.21', oldest: '3.0.17', variants: ['\\d'] },
    sizeBytes: 57_236_178,
    latest: '3.5.15',
  },
  {
    repository: 'registry.k8s.io/coredns/coredns',
    named: [],
    versions: { newest: '1.12.2', oldest: '1.6.6', prefix: 'v' },
    sizeBytes: 18_562_039,
    latest: '1.11.3',
  },
  {
    repository: 'registry.k8s.io/metrics-server/metrics-server',
    named: [],
    versions: { newest: '0.8.0', oldest: '0.3.7', prefix: 'v' },
    sizeBytes: 20_582_732,
    latest: '0.8.0',
  },
  {
    repository: 'registry.k8s.io/e2e-test-images/agnhost',
    named: [],
    versions: { newest: '2.53', oldest: '2.10' },
    sizeBytes: 51_352_084,
    latest: '2.53',
  },
  {
    repository: 'docker.io/kindest/kindnetd',
    named: [],
    patterns: ['v20(2[0-4]\\d{4}|250[1-6]\\d{2})-[0-9a-f]{8}', 'v0\\.\\d{1,2}\\.\\d'],
    sizeBytes: 38_452_163,
    latest: 'v20240513-cd2ac642',
  },
  {
    repository: 'docker.io/kindest/local-path-provisioner',
    named: [],
    patterns: ['v20(2[0-4]\\d{4}|250[1-6]\\d{2})-[0-9a-f]{8}'],
    sizeBytes: 22_541_737,
    latest: 'v20250214-acbabc1a',
  },
  {
    repository: 'docker.io/rancher/local-path-provisioner',
    named: ['master-head'],
    versions: { newest: '0.0.31', oldest: '0.0.1', prefix: 'v' },
    sizeBytes: 22_541_737,
    latest: '0.0.31',
  },
  {
    repository: 'docker.io/prom/node-exporter',
    named: ['latest', 'master', 'main'],
    versions: { newest: '1.9.1', oldest: '0.12.0', prefix: 'v' },
    sizeBytes: 11_955_628,
    latest: '1.9.1',
  },
  {
    repository: 'quay.io/prometheus/node-exporter',
    named: ['latest', 'master', 'main'],
    versions: { newest: '1.9.1', oldest: '0.12.0', prefix: 'v' },
    sizeBytes: 11_955_628,
    latest: '1.9.1',
  },
  {
    repository: 'docker.io/library/perl',
    named: ['latest', 'slim', 'threaded', 'bookworm', 'slim-bookworm'],
    versions: {
      newest: '5.40.2',
      oldest: '5.8',
      maxMinor: 40,
      variants: ['(slim|threaded)(-' + DEBIAN + ')?', DEBIAN],
    },
    sizeBytes: 345_028_311,
    latest: '5.40.2',
  },
  {
    repository: 'docker.io/library/python',
    named: ['latest', 'slim', 'alpine', 'bookworm', 'slim-bookworm'],
    versions: {
      newest: '3.13.5',
      oldest: '2.7',
      variants: [ALPINE, '(slim)(-' + DEBIAN + ')?', DEBIAN],
    },
    sizeBytes: 385_413_204,
    latest: '3.13.5',
  },
  {
    repository: 'docker.io/library/node',
    named: ['latest', 'lts', 'current', 'alpine', 'slim', 'lts-alpine', 'lts-slim'],
    versions: { newest: '24.3.0', oldest: '0.10', variants: [ALPINE, '(slim)', DEBIAN] },
    sizeBytes: 398_612_553,
    latest: '24.3.0',
  },
  {
    repository: 'docker.io/library/golang',
    named: ['latest', 'alpine', 'bookworm'],
    versions: { newest: '1.24.4', oldest: '1.2', variants: [ALPINE, DEBIAN] },
    sizeBytes: 287_542_215,
    latest: '1.24.4',
  },
  {
    repository: 'docker.io/library/mongo',
    named: ['latest'],
    versions: { newest: '8.0.10', oldest: '3.0', variants: ['(jammy|noble|focal)'] },
    sizeBytes: 289_734_082,
    latest: '8.0.10',
  },
  {
    repository: 'docker.io/library/rabbitmq',
    named: ['latest', 'management', 'alpine', 'management-alpine'],
    versions: {
      newest: '4.1.1',
      oldest: '3.5',
      variants: ['management(-' + ALPINE + ')?', ALPINE],
    },
    sizeBytes: 110_438_207,
    latest: '4.1.1',
  },
  {
    repository: 'docker.io/library/traefik',
    named: ['latest'],
    versions: { newest: '3.4.1', oldest: '1.7', prefix: 'v', variants: [] },
    sizeBytes: 52_306_281,
    latest: '3.4.1',
  },
  {
    repository: 'docker.io/library/haproxy',
    named: ['latest', 'alpine', 'lts', 'lts-alpine'],
    versions: { newest: '3.2.1', oldest: '1.5', variants: [ALPINE, DEBIAN] },
    sizeBytes: 37_102_634,
    latest: '3.2.1',
  },
  {
    repository: 'docker.io/library/wordpress',
    named: ['latest', 'apache', 'fpm', 'fpm-alpine', 'cli'],
    versions: {
      newest: '6.8.1',
      oldest: '4.0',
      variants: ['(php\\d\\.\\d-)?(apache|fpm|fpm-alpine|cli)'],
    },
    sizeBytes: 247_110_421,
    latest: '6.8.1',
  },
  {
    repository: 'docker.io/library/tomcat',
    named: ['latest'],
    versions: {
      newest: '11.0.8',
      oldest: '7.0',
      maxPatch: 110,
      variants: ['jdk\\d+(-.+)?', 'jre\\d+(-.+)?'],
    },
    sizeBytes: 165_871_329,
    latest: '11.0.8',
  },
  {
    repository: 'docker.io/library/registry',
    named: ['latest'],
    versions: { newest: '3.0.0', oldest: '2.0' },
    sizeBytes: 9_814_377,
    latest: '3.0.0',
  },
  {
    repository: 'docker.io/library/hello-world',
    named: ['latest', 'linux', 'nanoserver'],
    sizeBytes: 10_235,
    latest: 'latest',
  },
  {
    repository: 'docker.io/curlimages/curl',
    named: ['latest'],
    versions: { newest: '8.14.1', oldest: '7.61.0', maxPatch: 40 },
    sizeBytes: 10_452_891,
    latest: '8.14.1',
  },
  {
    repository: 'docker.io/nicolaka/netshoot',
    named: ['latest'],
    versions: { newest: '0.13', oldest: '0.1', prefix: 'v' },
    sizeBytes: 198_412_009,
    latest: '0.13',
  },
  {
    repository: 'docker.io/bitnami/kubectl',
    named: ['latest'],
    versions: { newest: '1.33.2', oldest: '1.8.0', variants: ['debian-12(-r\\d+)?'] },
    sizeBytes: 72_118_230,
    latest: '1.33.2',
  },
];

/**
 * What a kind node image (kind v0.23, Kubernetes 1.30) has loaded before any pod runs. Keep in
 * step with the system workloads the embedded cluster creates (cluster/system-workloads.ts
 * SYSTEM_IMAGES), so their pods find their images "already present on machine" as on kind.
 */
export const PRELOADED_IMAGES: readonly string[] = [
  'docker.io/kindest/kindnetd:v20240513-cd2ac642',
  'docker.io/kindest/local-path-helper:v20230510-486859a6',
  'docker.io/kindest/local-path-provisioner:v20240513-b9bba138',
  'registry.k8s.io/coredns/coredns:v1.11.1',
  'registry.k8s.io/etcd:3.5.12-0',
  'registry.k8s.io/kube-apiserver:v1.30.14',
  'registry.k8s.io/kube-controller-manager:v1.30.14',
  'registry.k8s.io/kube-proxy:v1.30.14',
  'registry.k8s.io/kube-scheduler:v1.30.14',
  'registry.k8s.io/pause:3.9',
];

const BY_REPOSITORY = new Map(IMAGE_CATALOGUE.map((entry) => [entry.repository, entry]));

export function catalogueEntry(repository: string): CatalogueEntry | undefined {
  return BY_REPOSITORY.get(repository);
}

// ---------------------------------------------------------------------------------------------
// Pull decisions

export type PullOutcome =
  | { readonly ok: true; readonly sizeBytes: number; readonly imageId: string }
  | { readonly ok: false; readonly message: string };

/**
 * What pulling `ref` does. Failures carry the message the kubelet puts after `Failed to pull image
 * "<image>": `: the CRI error as cri-client returns it — `Unknown` gRPC codes stripped (the
 * kubelet's remote image service removes them), others shown as `rpc error: code = … desc = …`
 * — with containerd 1.7's wording inside.
 */
export function decidePull(ref: ImageReference): PullOutcome {
  const entry = BY_REPOSITORY.get(ref.repository);
  const target = ref.normalized;
  if (entry) {
    if (ref.digest || (ref.tag !== undefined && tagExists(entry, ref.tag))) return pulled(ref);
    return {
      ok: false,
      message: `rpc error: code = NotFound desc = failed to pull and unpack image ${q(target)}: failed to resolve reference ${q(target)}: ${target}: not found`,
    };
  }
  if (typoOfKnown(ref)) {
    if (ref.domain === 'docker.io') {
      return {
        ok: false,
        message: `failed to pull and unpack image ${q(target)}: failed to resolve reference ${q(target)}: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`,
      };
    }
    return {
      ok: false,
      message: `rpc error: code = NotFound desc = failed to pull and unpack image ${q(target)}: failed to resolve reference ${q(target)}: ${target}: not found`,
    };
  }
  return pulled(ref);
}

function pulled(ref: ImageReference): PullOutcome {
  return { ok: true, sizeBytes: imageSize(ref), imageId: imageId(ref) };
}

const q = (text: string): string => JSON.stringify(text);

/** Whether a tag can exist in a catalogue repository. */
export function tagExists(entry: CatalogueEntry, tag: string): boolean {
  if (entry.named.includes(tag)) return true;
  if (entry.patterns?.some((pattern) => new RegExp(`^(?:${pattern})$`).test(tag))) return true;
  return entry.versions !== undefined && versionTagExists(entry.versions, tag);
}

const VERSION_TAG = /^(v?)(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-(.+))?$/;

function versionTagExists(rule: VersionRule, tag: string): boolean {
  const match = VERSION_TAG.exec(tag);
  if (!match) return false;
  if ((match[1] === 'v') !== (rule.prefix === 'v')) return false;
  const parts = [match[2], match[3], match[4]]
    .filter((part): part is string => part !== undefined)
    .map(Number);
  const variant = match[5];
  if (variant !== undefined) {
    const allowed = rule.variants ?? [];
    if (!allowed.some((pattern) => new RegExp(`^(?:${pattern})$`).test(variant))) return false;
  }
  const newest = versionParts(rule.newest);
  const oldest = versionParts(rule.oldest);
  if (compareVersions(parts, newest) > 0) return false;
  if (compareVersions(parts, oldest.slice(0, parts.length)) < 0) return false;
  // Within the bounds: an older major/minor still has a plausible number of minors/patches.
  const [major, minor, patch] = parts;
  if (minor !== undefined && major! < newest[0]! && minor > (rule.maxMinor ?? 40)) return false;
  if (patch !== undefined) {
    const sameMinorAsNewest = major === newest[0] && minor === newest[1];
    if (!sameMinorAsNewest && patch > (rule.maxPatch ?? 40)) return false;
  }
  return true;
}

function versionParts(version: string): number[] {
  return version.split('.').map(Number);
}

/** Compares the components `a` gives (1.27 against 1.29.0 compares 1 and 27 only). */
function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    if (a[i]! !== b[i]!) return a[i]! < b[i]! ? -1 : 1;
  }
  return 0;
}

/**
 * An unknown repository whose name is a small edit away from a known one in the same registry:
 * at most 2 edits (1 for names of 4 characters or fewer), transpositions counting as one.
 */
export function typoOfKnown(ref: ImageReference): CatalogueEntry | undefined {
  if (BY_REPOSITORY.has(ref.repository)) return undefined;
  const name = ref.path.startsWith('library/') ? ref.path.slice('library/'.length) : ref.path;
  const limit = name.length <= 4 ? 1 : 2;
  for (const entry of IMAGE_CATALOGUE) {
    const slash = entry.repository.indexOf('/');
    const domain = entry.repository.slice(0, slash);
    if (domain !== ref.domain) continue;
    let known = entry.repository.slice(slash + 1);
    if (known.startsWith('library/')) known = known.slice('library/'.length);
    if (Math.abs(known.length - name.length) > limit) continue;
    if (editDistance(name, known) <= limit) return entry;
  }
  return undefined;
}

/** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** 64 hex digits that are the same for the same text (a stand-in for a content digest). */
export function stableHex(text: string): string {
  let out = '';
  for (let i = 0; i < 8; i++) out += fnv32a(`${i}:${text}`).toString(16).padStart(8, '0');
  return out;
}

/** `docker.io/library/nginx@sha256:<64 hex>`, stable per normalized image. */
export function imageId(ref: ImageReference): string {
  if (ref.digest) return `${ref.repository}@${ref.digest}`;
  return `${ref.repository}@sha256:${stableHex(ref.normalized)}`;
}

/** The catalogue size (variants a little different), or a stable size for unknown images. */
export function imageSize(ref: ImageReference): number {
  const entry = BY_REPOSITORY.get(ref.repository);
  const jitter = fnv32a(ref.normalized);
  if (!entry) return 8_000_000 + (jitter % 120_000_000);
  const tag = ref.tag ?? '';
  const base = /alpine|slim/.test(tag)
    ? Math.max(Math.round(entry.sizeBytes * 0.3), Math.min(entry.sizeBytes, 4_000_000))
    : entry.sizeBytes;
  return base + (jitter % Math.max(1, Math.round(base * 0.02)));
}

/** The version an image runs, for banners: its tag when version-shaped, else the catalogue's. */
export function imageVersion(ref: ImageReference): string {
  const entry = BY_REPOSITORY.get(ref.repository);
  const match = ref.tag ? /^v?(\d+(?:\.\d+){0,2})/.exec(ref.tag) : null;
  if (match) {
    const given = match[1]!.split('.');
    const latest = (entry?.latest ?? '1.0.0').replace(/^v/, '').split('.');
    // `1.27` runs the newest 1.27.x: fill missing parts plausibly.
    while (given.length < 3) given.push(given.length === 1 ? (latest[1] ?? '0') : '0');
    return given.join('.');
  }
  return (entry?.latest ?? '1.0.0').replace(/^v/, '');
}
