/** The requested resource does not exist (or is not visible to the caller). */
export class ResourceNotFound extends Error {
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} '${id}' was not found.`);
    this.name = 'ResourceNotFound';
  }
}

/**
 * The request conflicts with the current state of a resource. `reason` is a stable, kebab-case
 * identifier callers can branch on; the message is for people.
 */
export class StateConflict extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'StateConflict';
  }
}
