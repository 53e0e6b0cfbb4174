/**
 * Serialized JSON of stored objects, computed once per object. Stored objects are immutable (a
 * write stores a new object), so the text stays valid for as long as the object lives: lists,
 * table rows and the events of every watcher reuse it, as kube-apiserver's watch cache reuses
 * its serializations.
 */
const texts = new WeakMap<object, string>();
const metadataTexts = new WeakMap<object, string>();

export function cachedJson(object: object): string {
  let text = texts.get(object);
  if (text === undefined) {
    text = JSON.stringify(object);
    texts.set(object, text);
  }
  return text;
}

/** The JSON of an object's `metadata` (for PartialObjectMetadata rows), cached per object. */
export function cachedMetadataJson(object: { metadata: object }): string {
  let text = metadataTexts.get(object);
  if (text === undefined) {
    text = JSON.stringify(object.metadata);
    metadataTexts.set(object, text);
  }
  return text;
}

/** JSON that is already serialized; `send` writes it as it is. */
export class RawJson {
  constructor(readonly text: string) {}
}
