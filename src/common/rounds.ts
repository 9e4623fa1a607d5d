/**
 * One node's rounds of a background job (sending mails, delivering webhooks): at most one round at a time, and a
 * request for a round while one runs makes exactly one more right after it, so a burst of nudges costs two rounds, not
 * a pile of them. Only promptness lives here: what a round does is claimed in the database, and the sweeps run it too.
 */
export class Rounds {
  private running: Promise<void> | null = null;
  private again = false;
  private ended = false;

  constructor(
    private readonly work: () => Promise<unknown>,
    private readonly failed: (e: Error) => void,
  ) {}

  /** Starts a round now, or right after the one running. */
  request(): void {
    if (this.ended) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.work()
      .then(
        () => undefined,
        (e) => this.failed(e as Error),
      )
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.request();
        }
      });
  }

  /** True once the node shuts down: a round under way claims no more work. */
  get stopped(): boolean {
    return this.ended;
  }

  /** No round starts after this; resolves when the one running has ended. */
  async stop(): Promise<void> {
    this.ended = true;
    await this.running;
  }
}
