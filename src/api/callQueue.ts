/**
 * Runs calls one after another in call order, so that GPU work of two calls never interleaves
 * (each estimator owns shared upload textures and graph buffers). A failed call does not stop
 * the ones queued after it.
 */
export class CallQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => T | Promise<T>): Promise<T> {
    const p = this.tail.then(fn);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
