/**
 * Serialized JSON of stored objects, computed once per object. Stored objects are immutable (a
 * write stores a new, frozen object), so the text stays valid for as long as the object lives:
 * lists, table rows and the events of every watcher reuse it, as kube-apiserver's watch cache
 * reuses its serializations.
 *
 * Objects are kept in cluster time; clients see them in wall-clock time, their timestamps moved
 * back by what the cluster has been advanced (main/kube/timestamps.ts). The text is cached with
 * the shift it was made for and made again after an advance.
 */
import type { KubeObject } from '../../kube/objects';
import { findByKind } from '../../kube/resources';
import { shiftTimestamps } from '../../kube/timestamps';

interface Cached {
  readonly shift: number;
  readonly text: string;
}

export class ObjectJson {
  private readonly texts = new WeakMap<object, Cached>();
  private readonly metadataTexts = new WeakMap<object, Cached>();

  /** `shift()`: how far (ms) cluster time runs ahead of the wall clock now. */
  constructor(readonly shift: () => number = () => 0) {}

  /** An object's JSON as clients see it. */
  json(object: object): string {
    const shift = this.shift();
    const cached = this.texts.get(object);
    if (cached !== undefined && cached.shift === shift) return cached.text;
    const text = JSON.stringify(this.toWall(object, shift));
    this.texts.set(object, { shift, text });
    return text;
  }

  /** The JSON of an object's `metadata` (for PartialObjectMetadata rows). */
  metadataJson(object: { metadata: object }): string {
    const shift = this.shift();
    const cached = this.metadataTexts.get(object);
    if (cached !== undefined && cached.shift === shift) return cached.text;
    const metadata =
      shift === 0
        ? object.metadata
        : shiftTimestamps(
            object.metadata,
            'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
            -shift,
          );
    const text = JSON.stringify(metadata);
    this.metadataTexts.set(object, { shift, text });
    return text;
  }

  /** An object (of any served kind) as clients see it: timestamps in wall-clock time. */
  toWall<T extends object>(object: T, shift = this.shift()): T {
    return this.move(object, -shift);
  }

  /** An object a client sent, brought into cluster time. */
  fromWall<T extends object>(object: T, shift = this.shift()): T {
    return this.move(object, shift);
  }

  private move<T extends object>(object: T, delta: number): T {
    if (delta === 0) return object;
    const { apiVersion, kind } = object as KubeObject;
    const type =
      typeof apiVersion === 'string' && typeof kind === 'string'
        ? findByKind(apiVersion, kind)
        : undefined;
    return type ? shiftTimestamps(object, type.schema, delta) : object;
  }
}

/** JSON that is already serialized; `send` writes it as it is. */
export class RawJson {
  constructor(readonly text: string) {}
}
