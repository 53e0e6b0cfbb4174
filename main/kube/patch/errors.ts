/**
 * A patch that cannot be applied, with the HTTP status kube-apiserver answers it with: malformed
 * patch documents are 400, patches that do not fit the object 422 (with upstream's fixed text),
 * and unexpected errors a plain 500.
 */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 422 | 500,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

/** The message kube-apiserver sends instead of a JSON patch's own failure. */
export const GENERIC_422 = 'the server rejected our request due to an error in our request';
