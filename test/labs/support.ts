/** Helpers for the lab tests: apply operations from inline YAML, as the loader would make them. */
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../main/kube/objects';
import type { LabOperation, Manifest } from '../../main/labs/schema';

/** A manifest as the loader returns it: the text and its parsed documents. */
export function manifest(text: string): Manifest {
  const objects = parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
  return { text, objects };
}

/** An `apply` operation of inline YAML. */
export function apply(text: string): LabOperation {
  return { op: 'apply', manifest: manifest(text) };
}
