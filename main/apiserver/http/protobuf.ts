/**
 * Decoding of the protobuf request bodies kubectl sends without a JSON fallback:
 * `kubectl create deployment|namespace|configmap|secret` (a `k8s\0` + runtime.Unknown envelope
 * around the object) and `kubectl drain`'s DELETE with a protobuf DeleteOptions. Field numbers
 * are upstream facts from the `generated.proto` files of k8s.io/api and k8s.io/apimachinery;
 * fields not listed here are skipped, as any protobuf reader must.
 *
 * The result is the JSON the same Go object would marshal to: zero values of non-pointer fields
 * are dropped (omitempty), pointer fields are kept even when zero, present messages become objects.
 */
import { errors } from '../../kube/status';
import type { ResourceType } from '../../kube/resources';
import { apiVersionOf } from '../../kube/resources';

type Scalar = 'string' | 'int32' | 'int64' | 'bool' | 'bytes';
type FieldType =
  | Scalar
  | 'message'
  | 'time'
  | 'quantity'
  | 'intOrString'
  | 'mapString'
  | 'mapBytes'
  | 'mapQuantity';

interface Field {
  readonly name: string;
  readonly type: FieldType;
  /** Nested message name for `message` fields. */
  readonly message?: string;
  readonly repeated?: boolean;
  /** Go pointer field: kept even at its zero value. */
  readonly pointer?: boolean;
  /** Go embedded struct: its fields merge into the parent JSON object. */
  readonly inline?: boolean;
}

const f = (name: string, type: FieldType, extra: Partial<Field> = {}): Field => ({
  name,
  type,
  ...extra,
});
const msg = (name: string, message: string, extra: Partial<Field> = {}): Field => ({
  name,
  type: 'message',
  message,
  ...extra,
});
const list = (name: string, message: string): Field => ({
  name,
  type: 'message',
  message,
  repeated: true,
});
const strings = (name: string): Field => ({ name, type: 'string', repeated: true });

const MESSAGES: Readonly<Record<string, Readonly<Record<number, Field>>>> = {
  Unknown: {
    1: msg('typeMeta', 'RuntimeTypeMeta'),
    2: f('raw', 'bytes'),
    3: f('contentEncoding', 'string'),
    4: f('contentType', 'string'),
  },
  RuntimeTypeMeta: { 1: f('apiVersion', 'string'), 2: f('kind', 'string') },
  ObjectMeta: {
    1: f('name', 'string'),
    2: f('generateName', 'string'),
    3: f('namespace', 'string'),
    4: f('selfLink', 'string'),
    5: f('uid', 'string'),
    6: f('resourceVersion', 'string'),
    7: f('generation', 'int64'),
    8: f('creationTimestamp', 'time'),
    9: f('deletionTimestamp', 'time', { pointer: true }),
    10: f('deletionGracePeriodSeconds', 'int64', { pointer: true }),
    11: f('labels', 'mapString'),
    12: f('annotations', 'mapString'),
    13: list('ownerReferences', 'OwnerReference'),
    14: strings('finalizers'),
  },
  OwnerReference: {
    5: f('apiVersion', 'string'),
    1: f('kind', 'string'),
    3: f('name', 'string'),
    4: f('uid', 'string'),
    6: f('controller', 'bool', { pointer: true }),
    7: f('blockOwnerDeletion', 'bool', { pointer: true }),
  },
  LabelSelector: {
    1: f('matchLabels', 'mapString'),
    2: list('matchExpressions', 'LabelSelectorRequirement'),
  },
  LabelSelectorRequirement: {
    1: f('key', 'string'),
    2: f('operator', 'string'),
    3: strings('values'),
  },
  DeleteOptions: {
    1: f('gracePeriodSeconds', 'int64', { pointer: true }),
    2: msg('preconditions', 'Preconditions', { pointer: true }),
    3: f('orphanDependents', 'bool', { pointer: true }),
    4: f('propagationPolicy', 'string', { pointer: true }),
    5: strings('dryRun'),
  },
  Preconditions: {
    1: f('uid', 'string', { pointer: true }),
    2: f('resourceVersion', 'string', { pointer: true }),
  },
  Deployment: {
    1: msg('metadata', 'ObjectMeta'),
    2: msg('spec', 'DeploymentSpec'),
    3: msg('status', 'DeploymentStatus'),
  },
  DeploymentSpec: {
    1: f('replicas', 'int32', { pointer: true }),
    2: msg('selector', 'LabelSelector', { pointer: true }),
    3: msg('template', 'PodTemplateSpec'),
    4: msg('strategy', 'DeploymentStrategy'),
    5: f('minReadySeconds', 'int32'),
    6: f('revisionHistoryLimit', 'int32', { pointer: true }),
    7: f('paused', 'bool'),
    9: f('progressDeadlineSeconds', 'int32', { pointer: true }),
  },
  DeploymentStrategy: {
    1: f('type', 'string'),
    2: msg('rollingUpdate', 'RollingUpdateDeployment', { pointer: true }),
  },
  RollingUpdateDeployment: {
    1: f('maxUnavailable', 'intOrString', { pointer: true }),
    2: f('maxSurge', 'intOrString', { pointer: true }),
  },
  DeploymentStatus: {
    1: f('observedGeneration', 'int64'),
    2: f('replicas', 'int32'),
    3: f('updatedReplicas', 'int32'),
    7: f('readyReplicas', 'int32'),
    4: f('availableReplicas', 'int32'),
    5: f('unavailableReplicas', 'int32'),
    8: f('collisionCount', 'int32', { pointer: true }),
  },
  PodTemplateSpec: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'PodSpec') },
  PodSpec: {
    1: list('volumes', 'Volume'),
    20: list('initContainers', 'Container'),
    2: list('containers', 'Container'),
    3: f('restartPolicy', 'string'),
    4: f('terminationGracePeriodSeconds', 'int64', { pointer: true }),
    5: f('activeDeadlineSeconds', 'int64', { pointer: true }),
    6: f('dnsPolicy', 'string'),
    7: f('nodeSelector', 'mapString'),
    8: f('serviceAccountName', 'string'),
    9: f('serviceAccount', 'string'),
    21: f('automountServiceAccountToken', 'bool', { pointer: true }),
    10: f('nodeName', 'string'),
    11: f('hostNetwork', 'bool'),
    12: f('hostPID', 'bool'),
    13: f('hostIPC', 'bool'),
    14: msg('securityContext', 'PodSecurityContext', { pointer: true }),
    15: list('imagePullSecrets', 'LocalObjectReference'),
    16: f('hostname', 'string'),
    17: f('subdomain', 'string'),
    19: f('schedulerName', 'string'),
    22: list('tolerations', 'Toleration'),
    24: f('priorityClassName', 'string'),
    25: f('priority', 'int32', { pointer: true }),
    29: f('runtimeClassName', 'string', { pointer: true }),
    30: f('enableServiceLinks', 'bool', { pointer: true }),
    31: f('preemptionPolicy', 'string', { pointer: true }),
  },
  PodSecurityContext: {
    2: f('runAsUser', 'int64', { pointer: true }),
    6: f('runAsGroup', 'int64', { pointer: true }),
    3: f('runAsNonRoot', 'bool', { pointer: true }),
    5: f('fsGroup', 'int64', { pointer: true }),
  },
  Container: {
    1: f('name', 'string'),
    2: f('image', 'string'),
    3: strings('command'),
    4: strings('args'),
    5: f('workingDir', 'string'),
    6: list('ports', 'ContainerPort'),
    7: list('env', 'EnvVar'),
    8: msg('resources', 'ResourceRequirements'),
    9: list('volumeMounts', 'VolumeMount'),
    13: f('terminationMessagePath', 'string'),
    20: f('terminationMessagePolicy', 'string'),
    14: f('imagePullPolicy', 'string'),
    16: f('stdin', 'bool'),
    17: f('stdinOnce', 'bool'),
    18: f('tty', 'bool'),
  },
  ContainerPort: {
    1: f('name', 'string'),
    2: f('hostPort', 'int32'),
    3: f('containerPort', 'int32'),
    4: f('protocol', 'string'),
    5: f('hostIP', 'string'),
  },
  EnvVar: { 1: f('name', 'string'), 2: f('value', 'string') },
  ResourceRequirements: { 1: f('limits', 'mapQuantity'), 2: f('requests', 'mapQuantity') },
  VolumeMount: {
    1: f('name', 'string'),
    2: f('readOnly', 'bool'),
    3: f('mountPath', 'string'),
    4: f('subPath', 'string'),
  },
  Volume: { 1: f('name', 'string') },
  LocalObjectReference: { 1: f('name', 'string') },
  Toleration: {
    1: f('key', 'string'),
    2: f('operator', 'string'),
    3: f('value', 'string'),
    4: f('effect', 'string'),
    5: f('tolerationSeconds', 'int64', { pointer: true }),
  },
  Namespace: {
    1: msg('metadata', 'ObjectMeta'),
    2: msg('spec', 'NamespaceSpec'),
    3: msg('status', 'NamespaceStatus'),
  },
  NamespaceSpec: { 1: strings('finalizers') },
  NamespaceStatus: { 1: f('phase', 'string') },
  ConfigMap: {
    1: msg('metadata', 'ObjectMeta'),
    2: f('data', 'mapString'),
    3: f('binaryData', 'mapBytes'),
    4: f('immutable', 'bool', { pointer: true }),
  },
  Secret: {
    1: msg('metadata', 'ObjectMeta'),
    2: f('data', 'mapBytes'),
    3: f('type', 'string'),
    4: f('stringData', 'mapString'),
    5: f('immutable', 'bool', { pointer: true }),
  },
  Eviction: {
    1: msg('metadata', 'ObjectMeta'),
    2: msg('deleteOptions', 'DeleteOptions', { pointer: true }),
  },
  Quantity: { 1: f('string', 'string') },
  IntOrString: { 1: f('type', 'int64'), 2: f('intVal', 'int32'), 3: f('strVal', 'string') },
  Time: { 1: f('seconds', 'int64'), 2: f('nanos', 'int32') },
};

/** Kinds whose protobuf bodies this server decodes, by `apiVersion/kind`. */
const DECODABLE: Readonly<Record<string, string>> = {
  'apps/v1/Deployment': 'Deployment',
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'policy/v1/Eviction': 'Eviction',
  'v1/DeleteOptions': 'DeleteOptions',
  'meta.k8s.io/v1/DeleteOptions': 'DeleteOptions',
};

const PREFIX = [0x6b, 0x38, 0x73, 0x00];

class Reader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.bytes.length) throw new Error('unexpected EOF');
      const byte = this.bytes[this.offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new Error('proto: integer overflow');
  }

  bytesField(): Uint8Array {
    const length = Number(this.varint());
    if (length < 0 || this.offset + length > this.bytes.length) throw new Error('unexpected EOF');
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.offset += 8;
        return;
      case 2:
        this.bytesField();
        return;
      case 5:
        this.offset += 4;
        return;
      default:
        throw new Error(`proto: illegal wireType ${wireType}`);
    }
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });

function signed64(value: bigint): number {
  return Number(BigInt.asIntN(64, value));
}

function decodeMapEntry(bytes: Uint8Array): [string, Uint8Array] {
  const reader = new Reader(bytes);
  let key = '';
  let value: Uint8Array = new Uint8Array();
  while (!reader.done) {
    const tag = Number(reader.varint());
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 2) key = decoder.decode(reader.bytesField());
    else if (field === 2 && wire === 2) value = reader.bytesField();
    else reader.skip(wire);
  }
  return [key, value];
}

function decodeTime(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return null;
  const time = decodeMessage(bytes, 'Time');
  const seconds = typeof time.seconds === 'number' ? time.seconds : 0;
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function decodeMessage(bytes: Uint8Array, name: string): Record<string, unknown> {
  const schema = MESSAGES[name];
  if (!schema) throw new Error(`no schema for ${name}`);
  const out: Record<string, unknown> = {};
  const reader = new Reader(bytes);
  while (!reader.done) {
    const tag = Number(reader.varint());
    const number = tag >>> 3;
    const wire = tag & 7;
    const field = schema[number];
    if (!field) {
      reader.skip(wire);
      continue;
    }
    const value = decodeValue(reader, wire, field);
    if (value === undefined) continue;
    if (field.inline && value && typeof value === 'object') {
      Object.assign(out, value);
    } else if (field.repeated) {
      const existing = (out[field.name] as unknown[] | undefined) ?? [];
      if (Array.isArray(value)) existing.push(...value);
      else existing.push(value);
      out[field.name] = existing;
    } else if (field.type.startsWith('map')) {
      out[field.name] = { ...(out[field.name] as object | undefined), ...(value as object) };
    } else {
      out[field.name] = value;
    }
  }
  // Go's omitempty: zero values of non-pointer scalars are not in the JSON.
  for (const field of Object.values(schema)) {
    const value = out[field.name];
    if (field.pointer || field.repeated || value === undefined) continue;
    if (value === '' || value === 0 || value === false) delete out[field.name];
  }
  return out;
}

function decodeValue(reader: Reader, wire: number, field: Field): unknown {
  switch (field.type) {
    case 'string':
      return wire === 2 ? decoder.decode(reader.bytesField()) : (reader.skip(wire), undefined);
    case 'bytes':
      return wire === 2
        ? Buffer.from(reader.bytesField()).toString('base64')
        : (reader.skip(wire), undefined);
    case 'int32':
    case 'int64':
      if (wire === 2) {
        // Packed repeated integers.
        const inner = new Reader(reader.bytesField());
        const values: number[] = [];
        while (!inner.done) values.push(signed64(inner.varint()));
        return values;
      }
      return wire === 0 ? signed64(reader.varint()) : (reader.skip(wire), undefined);
    case 'bool':
      return wire === 0 ? reader.varint() !== 0n : (reader.skip(wire), undefined);
    case 'message':
      return wire === 2
        ? decodeMessage(reader.bytesField(), field.message!)
        : (reader.skip(wire), undefined);
    case 'time':
      return wire === 2 ? decodeTime(reader.bytesField()) : (reader.skip(wire), undefined);
    case 'quantity':
      return wire === 2
        ? String(decodeMessage(reader.bytesField(), 'Quantity').string ?? '')
        : (reader.skip(wire), undefined);
    case 'intOrString': {
      if (wire !== 2) return (reader.skip(wire), undefined);
      const value = decodeMessage(reader.bytesField(), 'IntOrString');
      return value.type === 1 ? String(value.strVal ?? '') : Number(value.intVal ?? 0);
    }
    case 'mapString':
    case 'mapBytes':
    case 'mapQuantity': {
      if (wire !== 2) return (reader.skip(wire), undefined);
      const [key, raw] = decodeMapEntry(reader.bytesField());
      const value =
        field.type === 'mapString'
          ? decoder.decode(raw)
          : field.type === 'mapBytes'
            ? Buffer.from(raw).toString('base64')
            : String(decodeMessage(raw, 'Quantity').string ?? '');
      return { [key]: value };
    }
  }
}

function unwrap(body: Buffer): { apiVersion: string; kind: string; raw: Uint8Array } {
  if (body.length === 0) throw errors.badRequest('empty data');
  if (body.length < 4 || PREFIX.some((b, i) => body[i] !== b)) {
    throw errors.badRequest(
      'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]',
    );
  }
  if (body.length === 4) throw errors.badRequest('empty body');
  const envelope = decodeMessage(body.subarray(4), 'Unknown');
  const typeMeta = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const raw =
    typeof envelope.raw === 'string' ? Buffer.from(envelope.raw, 'base64') : new Uint8Array();
  return { apiVersion: typeMeta.apiVersion ?? '', kind: typeMeta.kind ?? '', raw };
}

/** Decodes a protobuf object body for `type` (the kind from the envelope, defaulting to the URL's). */
export function decodeProtobufObject(body: Buffer, type: ResourceType): Record<string, unknown> {
  let envelope: ReturnType<typeof unwrap>;
  try {
    envelope = unwrap(body);
  } catch (error) {
    if (error instanceof Error && 'status' in error) throw error;
    throw errors.badRequest(
      `the object provided is unrecognized (must be of type ${type.kind}): ${(error as Error).message}`,
    );
  }
  const apiVersion = envelope.apiVersion || apiVersionOf(type);
  const kind = envelope.kind || type.kind;
  const message = DECODABLE[`${apiVersion}/${kind}`];
  if (!message) {
    throw errors.unsupportedMediaType('application/vnd.kubernetes.protobuf', [
      'application/json',
      'application/yaml',
    ]);
  }
  try {
    return { apiVersion, kind, ...decodeMessage(envelope.raw, message) };
  } catch (error) {
    throw errors.badRequest(
      `${type.kind} in version ${JSON.stringify(type.version)} cannot be handled as a ${type.kind}: ${(error as Error).message}`,
    );
  }
}

/** Decodes a protobuf DeleteOptions body (kubectl drain's fallback DELETE). */
export function decodeProtobufDeleteOptions(body: Buffer): Record<string, unknown> {
  try {
    const envelope = unwrap(body);
    return decodeMessage(envelope.raw, 'DeleteOptions');
  } catch (error) {
    if (error instanceof Error && 'status' in error) throw error;
    throw errors.badRequest(
      `DeleteOptions in version "v1" cannot be handled as a DeleteOptions: ${(error as Error).message}`,
    );
  }
}
