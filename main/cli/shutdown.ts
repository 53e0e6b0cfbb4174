/**
 * Stops long-running commands cleanly on SIGINT/SIGTERM: every registered stop runs, and the
 * process exits when they are done (or after a grace period, if one hangs).
 */
export class Shutdown {
  private readonly stops: Array<() => Promise<void>> = [];

  /** Registers a stop function; the first one installs the signal handlers. */
  readonly add = (stop: () => Promise<void>): void => {
    if (this.stops.length === 0) {
      process.once('SIGINT', this.onSignal);
      process.once('SIGTERM', this.onSignal);
    }
    this.stops.push(stop);
  };

  get active(): boolean {
    return this.stops.length > 0;
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`kubelab: ${signal}, stopping\n`);
    setTimeout(() => process.exit(1), 5_000).unref();
    void Promise.allSettled(this.stops.map((stop) => stop())).then(() => process.exit(0));
  };
}
