/**
 * ObjectMeta validation (k8s.io/apimachinery/pkg/api/validation/objectmeta.go), create and update.
 */
import { fieldError, go, type FieldError } from '../field-errors';
import type { ObjectMeta } from '../objects';
import { isDns1123Label, isQualifiedName, isValidLabelValue } from './names';

export type NameValidator = (name: string, prefix: boolean) => string[];

/** Validates a name, or a generateName prefix (one trailing `-` is ignored). */
export function nameValidator(check: (value: string) => string[]): NameValidator {
  return (name, prefix) => check(prefix && name.endsWith('-') ? name.slice(0, -1) : name);
}

const TOTAL_ANNOTATION_SIZE = 256 * 1024;
const encoder = new TextEncoder();
const utf8Length = (text: string): number => encoder.encode(text).length;

export function validateLabels(
  labels: Record<string, string> | undefined,
  field: string,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(key))
      errors.push(fieldError.invalid(field, go.string(key), msg));
    for (const msg of isValidLabelValue(value))
      errors.push(fieldError.invalid(field, go.string(value), msg));
  }
  return errors;
}

export function validateAnnotations(
  annotations: Record<string, string> | undefined,
  field: string,
): FieldError[] {
  const errors: FieldError[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(key.toLowerCase())) {
      errors.push(fieldError.invalid(field, go.string(key), msg));
    }
    size += utf8Length(key) + utf8Length(value);
  }
  if (size > TOTAL_ANNOTATION_SIZE) errors.push(fieldError.tooLong(field, TOTAL_ANNOTATION_SIZE));
  return errors;
}

export function validateObjectMeta(
  meta: ObjectMeta,
  namespaced: boolean,
  validateName: NameValidator,
): FieldError[] {
  const errors: FieldError[] = [];
  if (meta.generateName) {
    for (const msg of validateName(meta.generateName, true)) {
      errors.push(fieldError.invalid('metadata.generateName', go.string(meta.generateName), msg));
    }
  }
  if (!meta.name) {
    errors.push(fieldError.required('metadata.name', 'name or generateName is required'));
  } else {
    for (const msg of validateName(meta.name, false)) {
      errors.push(fieldError.invalid('metadata.name', go.string(meta.name), msg));
    }
  }
  if (namespaced) {
    if (!meta.namespace) errors.push(fieldError.required('metadata.namespace'));
    else {
      for (const msg of isDns1123Label(meta.namespace)) {
        errors.push(fieldError.invalid('metadata.namespace', go.string(meta.namespace), msg));
      }
    }
  } else if (meta.namespace) {
    errors.push(fieldError.forbidden('metadata.namespace', 'not allowed on this type'));
  }
  if (meta.generation !== undefined && meta.generation < 0) {
    errors.push(
      fieldError.invalid(
        'metadata.generation',
        go.number(meta.generation),
        'must be greater than or equal to 0',
      ),
    );
  }
  errors.push(...validateLabels(meta.labels, 'metadata.labels'));
  errors.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  (meta.finalizers ?? []).forEach((finalizer, i) => {
    for (const msg of isQualifiedName(finalizer)) {
      errors.push(fieldError.invalid(`metadata.finalizers[${i}]`, go.string(finalizer), msg));
    }
  });
  (meta.ownerReferences ?? []).forEach((ref, i) => {
    const path = `metadata.ownerReferences[${i}]`;
    if (!ref.apiVersion)
      errors.push(
        fieldError.invalid(`${path}.apiVersion`, go.string(''), 'version must not be empty'),
      );
    if (!ref.kind)
      errors.push(fieldError.invalid(`${path}.kind`, go.string(''), 'kind must not be empty'));
    if (!ref.name)
      errors.push(fieldError.invalid(`${path}.name`, go.string(''), 'name must not be empty'));
    if (!ref.uid)
      errors.push(fieldError.invalid(`${path}.uid`, go.string(''), 'uid must not be empty'));
  });
  const controllers = (meta.ownerReferences ?? []).filter((r) => r.controller === true);
  if (controllers.length > 1) {
    errors.push(
      fieldError.invalid(
        'metadata.ownerReferences',
        go.raw(`[]v1.OwnerReference{…}`),
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers.map((c) => `${c.kind}/${c.name}`).join(' and ')}`,
      ),
    );
  }
  return errors;
}

/** The immutable parts of metadata on update. */
export function validateObjectMetaUpdate(next: ObjectMeta, old: ObjectMeta): FieldError[] {
  const errors: FieldError[] = [];
  const immutable = (
    field: keyof ObjectMeta,
    render: (v: unknown) => ReturnType<typeof go.of>,
  ): void => {
    if ((next[field] ?? undefined) !== (old[field] ?? undefined)) {
      errors.push(
        fieldError.invalid(`metadata.${field}`, render(next[field]), 'field is immutable'),
      );
    }
  };
  immutable('name', (v) => go.string(String(v ?? '')));
  immutable('namespace', (v) => go.string(String(v ?? '')));
  immutable('uid', (v) => go.string(String(v ?? '')));
  if ((next.generation ?? 0) < (old.generation ?? 0)) {
    errors.push(
      fieldError.invalid(
        'metadata.generation',
        go.number(next.generation ?? 0),
        'must not be decremented',
      ),
    );
  }
  if (old.deletionTimestamp) {
    const added = (next.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f));
    if (added.length) {
      errors.push(
        fieldError.forbidden(
          'metadata.finalizers',
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
        ),
      );
    }
  }
  errors.push(...validateLabels(next.labels, 'metadata.labels'));
  errors.push(...validateAnnotations(next.annotations, 'metadata.annotations'));
  return errors;
}
