/**
 * The bridge over a WebSocket, for browser mode. JSON messages of the contract's `Socket*` types;
 * one `Session` per socket. Authorisation happens before the upgrade (see `browser-server.ts`).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { SocketClientMessage, type ContractSpec, type SocketServerMessage } from './contract';
import { describeIssues, type BridgeServer } from './server';

export interface WebSocketBridgeOptions {
  /** Largest accepted message, in bytes. */
  readonly maxPayload?: number;
  /** How often to ping; a socket that misses a pong is closed. 0 turns pinging off. */
  readonly pingIntervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

export interface WebSocketBridge {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly clientCount: number;
  close(): void;
}

export function createWebSocketBridge(
  bridge: BridgeServer<ContractSpec>,
  options: WebSocketBridgeOptions = {},
): WebSocketBridge {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? 1 << 20 });
  const alive = new WeakMap<WebSocket, boolean>();
  const onError = options.onError ?? (() => undefined);

  wss.on('connection', (socket: WebSocket) => {
    alive.set(socket, true);
    socket.on('pong', () => alive.set(socket, true));
    const send = (message: SocketServerMessage): void => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    };
    const session = bridge.connect({ transport: 'websocket', send });
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        socket.close(1003, 'binary messages are not supported');
        return;
      }
      let payload: unknown;
      try {
        payload = JSON.parse(data.toString());
      } catch {
        socket.close(1007, 'message is not JSON');
        return;
      }
      const parsed = SocketClientMessage.safeParse(payload);
      if (!parsed.success) {
        onError(new Error(`malformed bridge message: ${describeIssues(parsed.error)}`));
        // A call we can still correlate gets its answer as a value.
        const id = (payload as { t?: unknown; id?: unknown } | null)?.id;
        if ((payload as { t?: unknown } | null)?.t === 'call' && typeof id === 'number') {
          send({
            t: 'result',
            id,
            result: {
              ok: false,
              error: { code: 'InvalidArgument', message: describeIssues(parsed.error) },
            },
          });
        }
        return;
      }
      const message = parsed.data;
      if (message.t === 'call') {
        const { id, service, method, input } = message;
        void session
          .call({ service, method, input })
          .then((result) => send({ t: 'result', id, result }));
      } else {
        session.control(message);
      }
    });
    socket.on('close', () => session.close());
    socket.on('error', onError);
  });

  const pingInterval = options.pingIntervalMs ?? 15_000;
  const pinger =
    pingInterval > 0
      ? setInterval(() => {
          for (const socket of wss.clients) {
            if (alive.get(socket) === false) {
              socket.terminate();
              continue;
            }
            alive.set(socket, false);
            socket.ping();
          }
        }, pingInterval)
      : undefined;
  pinger?.unref();

  return {
    handleUpgrade(request, socket, head) {
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    },
    get clientCount() {
      return wss.clients.size;
    },
    close() {
      if (pinger) clearInterval(pinger);
      for (const socket of wss.clients) socket.terminate();
      wss.close();
    },
  };
}
