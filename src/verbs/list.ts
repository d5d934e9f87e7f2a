/**
 * `list`: the registries the helper can answer for, as `{"https://host":"AWS"}`. It never calls
 * AWS (the Go helper does, and hangs on closed networks); with no token cache yet, nothing is
 * known, so the answer is the empty object.
 */
import { success, type Outcome } from '../protocol/outcome';

export function list(): Outcome {
  return success('{}\n');
}
