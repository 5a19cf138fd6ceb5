// Runs a Lambda handler in-process the way Lambda runs it under concurrent load: each
// container (its own instance of the handler module, so its own Postgres connection and SDK
// clients) handles one invocation at a time; an invocation that finds no idle container
// starts a new one, up to a limit, and beyond it waits for one to free up.

/** A handler as a container runs it. */
export type ContainerHandler<E, R> = (event: E) => Promise<R>;

/**
 * Lambda-style containers over a factory that loads a fresh handler instance per container
 * (e.g. a dynamic import with a per-container query string, which ESM caches apart).
 *
 * @example const containers = new HandlerContainers(32, (n) => import(`./handler.js?container=${n}`).then((m) => m.handler));
 */
export class HandlerContainers<E, R> {
  private readonly idle: ContainerHandler<E, R>[] = [];
  private readonly waiting: { resolve: (handler: ContainerHandler<E, R>) => void; reject: (error: unknown) => void }[] = [];
  private started = 0;

  constructor(
    private readonly maxContainers: number,
    private readonly startContainer: (containerNumber: number) => Promise<ContainerHandler<E, R>>,
  ) {
    if (!Number.isInteger(maxContainers) || maxContainers < 1) throw new RangeError(`maxContainers must be a whole number ≥ 1, got ${maxContainers}`);
  }

  /** Containers started so far (Lambda's concurrency high-water mark). */
  get containers(): number {
    return this.started;
  }

  /** Runs one invocation on an idle container, a new one, or the next to free up. */
  async invoke(event: E): Promise<R> {
    const handler = await this.acquire();
    try {
      return await handler(event);
    } finally {
      this.release(handler);
    }
  }

  private async acquire(): Promise<ContainerHandler<E, R>> {
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.started < this.maxContainers) {
      this.started += 1;
      try {
        return await this.startContainer(this.started);
      } catch (error) {
        // A failed cold start holds no container: the first waiter, queued behind it while it
        // started, gets the freed place (a start of its own) instead of waiting for ever.
        this.started -= 1;
        const next = this.waiting.shift();
        if (next) this.acquire().then(next.resolve, next.reject);
        throw error;
      }
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(handler: ContainerHandler<E, R>): void {
    const next = this.waiting.shift();
    if (next) next.resolve(handler);
    else this.idle.push(handler);
  }
}
