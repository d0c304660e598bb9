import type { BusMessage } from "./bus.js";

/** The listener sets every CacheBus keeps, with the contract's subscribe/onReconnect/onDisconnect. */
export abstract class BusListeners {
  protected readonly messageHandlers = new Set<(message: BusMessage) => void>();
  protected readonly reconnectHandlers = new Set<() => void>();
  protected readonly disconnectHandlers = new Set<() => void>();

  subscribe(handler: (message: BusMessage) => void): () => void {
    this.messageHandlers.add(handler);
    return () => this.messageHandlers.delete(handler);
  }

  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  onDisconnect(handler: () => void): () => void {
    this.disconnectHandlers.add(handler);
    return () => this.disconnectHandlers.delete(handler);
  }
}
