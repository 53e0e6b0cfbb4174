/**
 * `metav1.Status` errors, built as k8s.io/apimachinery/pkg/api/errors builds them: kubectl prints
 * `Error from server (<reason>): <message>` verbatim, so reason, code and message must match.
 */
import { errorBody, renderFieldError, type FieldError } from './field-errors';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Invalid'
  | 'Expired'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout'
  | '';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A Status carried as an exception inside the server; the HTTP layer writes it out. */
export class StatusError extends Error {
  constructor(readonly status: Status) {
    super(status.message ?? status.reason ?? 'error');
    this.name = 'StatusError';
  }

  get code(): number {
    return this.status.code;
  }

  get reason(): StatusReason | undefined {
    return this.status.reason;
  }
}

/** `apierrors.IsNotFound`. */
export function isNotFound(error: unknown): boolean {
  return error instanceof StatusError && error.code === 404;
}

/** `apierrors.IsAlreadyExists`. */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof StatusError && error.status.reason === 'AlreadyExists';
}

/** `apierrors.HasStatusCause(err, v1.NamespaceTerminatingCause)`: a write into a terminating namespace. */
export function isNamespaceTerminating(error: unknown): boolean {
  return (
    error instanceof StatusError &&
    (error.status.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating')
  );
}

/** Identifies a resource in messages: plural resource and API group. */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

/** `pods` or `daemonsets.apps`, as `schema.GroupResource.String()` prints it. */
export function groupResourceString(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function failure(
  code: number,
  reason: StatusReason,
  message: string,
  details?: StatusDetails,
): StatusError {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    ...(reason ? { reason } : {}),
    ...(details ? { details } : {}),
    code,
  };
  return new StatusError(status);
}

export function successStatus(details?: StatusDetails): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    ...(details ? { details } : {}),
    code: 200,
  };
}

export const errors = {
  notFound(gr: GroupResource, name: string): StatusError {
    return failure(
      404,
      'NotFound',
      `${groupResourceString(gr)} ${JSON.stringify(name)} not found`,
      {
        name,
        ...(gr.group ? { group: gr.group } : {}),
        kind: gr.resource,
      },
    );
  },
  alreadyExists(gr: GroupResource, name: string): StatusError {
    return failure(
      409,
      'AlreadyExists',
      `${groupResourceString(gr)} ${JSON.stringify(name)} already exists`,
      { name, ...(gr.group ? { group: gr.group } : {}), kind: gr.resource },
    );
  },
  conflict(gr: GroupResource, name: string, detail: string): StatusError {
    return failure(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${groupResourceString(gr)} ${JSON.stringify(name)}: ${detail}`,
      { name, ...(gr.group ? { group: gr.group } : {}), kind: gr.resource },
    );
  },
  /** The optimistic-concurrency conflict of an update with a stale resourceVersion. */
  updateConflict(gr: GroupResource, name: string): StatusError {
    return errors.conflict(
      gr,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  },
  /**
   * 422 Invalid (NewInvalid): the message aggregates the de-duplicated errors; `details.kind` is
   * the Kind (not the plural) and each cause carries the field and the error body.
   */
  invalid(
    kind: { group: string; kind: string },
    name: string,
    causes: readonly FieldError[],
  ): StatusError {
    const qualified = kind.group ? `${kind.kind}.${kind.group}` : kind.kind;
    const rendered = [...new Set(causes.map(renderFieldError))];
    const aggregate = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`;
    const message = rendered.length
      ? `${qualified} ${JSON.stringify(name)} is invalid: ${aggregate}`
      : `${qualified} ${JSON.stringify(name)} is invalid`;
    return failure(422, 'Invalid', message, {
      name,
      ...(kind.group ? { group: kind.group } : {}),
      kind: kind.kind,
      causes: causes.map((c) => ({ reason: c.type, message: errorBody(c), field: c.field })),
    });
  },
  badRequest(message: string): StatusError {
    return failure(400, 'BadRequest', message);
  },
  /** A plain (non-Status) server error: 500 with no reason, as ErrorToAPIStatus makes it. */
  plain(message: string): StatusError {
    return failure(500, '', message);
  },
  unauthorized(message = 'Unauthorized'): StatusError {
    return failure(401, 'Unauthorized', message);
  },
  forbidden(gr: GroupResource, name: string, reason: string, causes?: StatusCause[]): StatusError {
    const target = name
      ? `${groupResourceString(gr)} ${JSON.stringify(name)}`
      : groupResourceString(gr);
    return failure(403, 'Forbidden', `${target} is forbidden: ${reason}`, {
      ...(name ? { name } : {}),
      ...(gr.group ? { group: gr.group } : {}),
      kind: gr.resource,
      ...(causes ? { causes } : {}),
    });
  },
  methodNotSupported(gr: GroupResource, action: string): StatusError {
    return failure(
      405,
      'MethodNotAllowed',
      `${action} is not supported on resources of kind ${JSON.stringify(groupResourceString(gr))}`,
      { ...(gr.group ? { group: gr.group } : {}), kind: gr.resource },
    );
  },
  /** The generic 404 for paths that name no resource. */
  routeNotFound(): StatusError {
    return failure(404, 'NotFound', 'the server could not find the requested resource', {});
  },
  resourceExpired(message: string): StatusError {
    return failure(410, 'Expired', message);
  },
  gone(message: string): StatusError {
    return failure(410, 'Gone', message);
  },
  tooManyRequests(
    message: string,
    retryAfterSeconds?: number,
    causes?: StatusCause[],
  ): StatusError {
    return failure(429, 'TooManyRequests', message, {
      ...(causes ? { causes } : {}),
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    });
  },
  requestEntityTooLarge(message: string): StatusError {
    return failure(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`);
  },
  unsupportedMediaType(contentType: string, supported: readonly string[]): StatusError {
    return failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${supported.join(', ')}`,
    );
  },
  notAcceptable(supported: readonly string[]): StatusError {
    return failure(
      406,
      'NotAcceptable',
      `only the following media types are accepted: ${supported.join(', ')}`,
    );
  },
  internal(message: string): StatusError {
    return failure(500, 'InternalError', `Internal error occurred: ${message}`, {
      causes: [{ message }],
    });
  },
  serviceUnavailable(message: string): StatusError {
    return failure(503, 'ServiceUnavailable', message);
  },
};

/** Wraps anything thrown into a Status for the wire. */
export function toStatus(error: unknown): Status {
  if (error instanceof StatusError) return error.status;
  const message = error instanceof Error ? error.message : String(error);
  return errors.internal(message).status;
}
