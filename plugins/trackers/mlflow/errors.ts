import { TrackingError } from '../../../core/toolkit';

/**
 * The server answered with an error. `errorCode` and `serverMessage` are MLflow's own
 * (`INVALID_PARAMETER_VALUE`, "Changing param values is not allowed…"). `transient` errors
 * (408, 429, 5xx) were retried until the retry budget ran out; the others are final.
 */
export class MlflowApiError extends TrackingError {
  constructor(
    readonly method: string,
    readonly endpoint: string,
    readonly status: number,
    readonly errorCode: string,
    readonly serverMessage: string,
    readonly transient: boolean,
  ) {
    super(`MLflow ${method} ${endpoint} failed: ${status} ${errorCode}: ${serverMessage}`);
  }
}

/**
 * No answer from the server (refused, reset, timed out) after every retry. `maybeDelivered`
 * is true when the request may have reached the server before the connection failed, so a
 * resend must check what already arrived.
 */
export class MlflowUnreachableError extends TrackingError {
  constructor(
    readonly method: string,
    readonly endpoint: string,
    readonly reason: string,
    readonly attempts: number,
    readonly maybeDelivered: boolean,
  ) {
    super(`MLflow ${method} ${endpoint}: server unreachable after ${attempts} attempt(s) (${reason})`);
  }
}

/** True for failures worth buffering and resending later (server down or overloaded). */
export function isTransientTrackingError(err: unknown): boolean {
  return err instanceof MlflowUnreachableError || (err instanceof MlflowApiError && err.transient);
}
