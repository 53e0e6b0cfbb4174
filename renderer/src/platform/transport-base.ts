/**
 * The part every client transport shares: connection state, and fan-out of state changes and
 * stream messages to listeners.
 */
import type { StreamMessage, Unsubscribe } from '../../../main/bridge/contract';
import type { ConnectionState } from './bridge-client';

export class TransportEvents {
  private current: ConnectionState;
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private readonly messageListeners = new Set<(message: StreamMessage) => void>();

  constructor(initial: ConnectionState) {
    this.current = initial;
  }

  get state(): ConnectionState {
    return this.current;
  }

  setState(state: ConnectionState): void {
    if (state === this.current) return;
    this.current = state;
    for (const listener of [...this.stateListeners]) listener(state);
  }

  deliver(message: StreamMessage): void {
    for (const listener of [...this.messageListeners]) listener(message);
  }

  onState(listener: (state: ConnectionState) => void): Unsubscribe {
    this.stateListeners.add(listener);
    return () => {
      this.stateListeners.delete(listener);
    };
  }

  onMessage(listener: (message: StreamMessage) => void): Unsubscribe {
    this.messageListeners.add(listener);
    return () => {
      this.messageListeners.delete(listener);
    };
  }

  clear(): void {
    this.stateListeners.clear();
    this.messageListeners.clear();
  }
}
