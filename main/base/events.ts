/** A listener removal handle; calling it twice is harmless. */
export type Unsubscribe = () => void;

/**
 * A minimal typed event emitter (VS Code's `Emitter` in spirit): `event` is what consumers see,
 * `fire` stays with the owner.
 */
export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();

  readonly event = (listener: (value: T) => void): Unsubscribe => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }

  get size(): number {
    return this.listeners.size;
  }

  dispose(): void {
    this.listeners.clear();
  }
}
