/**
 * Server-side apply field management (`metadata.managedFields`), as pure functions: see
 * field-manager.ts for the two entry points, updateManagedFields (create, update, patch) and
 * applyConfiguration (apply patch).
 */
export {
  applyConfiguration,
  conflictError,
  ConflictsError,
  LAST_APPLIED_ANNOTATION,
  managerOrUserAgent,
  MAX_UPDATE_MANAGERS,
  printManager,
  updateManagedFields,
  type ApplyOptions,
  type ApplyResult,
  type Conflict,
  type FieldPaths,
  type UpdateManagedFieldsOptions,
} from './field-manager';
export { FieldSet, FieldsV1Error } from './field-set';
export { goShape, goZeroValue, GO_VALUE_FIELDS } from './go-shape';
export {
  decodeManagedFields,
  encodeManagedFields,
  managerIdentity,
  ManagedFieldsError,
  type Managed,
  type ManagerInfo,
  type VersionedSet,
} from './managed';
export {
  comparePathElements,
  fieldElement,
  indexElement,
  keyElement,
  parsePathElement,
  pathElementString,
  pathString,
  serializePathElement,
  valueElement,
  type Path,
  type PathElement,
} from './path';
export { RESET_FIELDS, resetFieldsFor } from './reset-fields';
export {
  ATOMIC_MAP_FIELDS,
  ATOMIC_STRUCTS,
  KEY_DEFAULTS,
  LIST_OVERRIDES,
  type TypeNode,
} from './schema-types';
export {
  compare,
  ensureNamedFieldsAreMembers,
  merge,
  removeItems,
  toFieldSet,
  typeOfSchema,
  TypedError,
  validate,
  type Comparison,
} from './typed';
