/**
 * A libp2p transport for a Durable Object: its listener turns each WebSocket the object accepted
 * (`WebSocketPair`, `server.accept()`) into a MultiaddrConnection and upgrades it (noise + yamux) as
 * an inbound connection. The shard never dials.
 *
 * Backpressure: writes report `canSendMore: false` once the socket buffers more than
 * `maxBufferedBytes` and 'drain' fires when it empties (workerd may report no bufferedAmount, in
 * which case yamux's per-stream windows are what bound memory). Reading cannot be paused on a
 * workerd socket; yamux windows bound what a peer may have in flight.
 *
 * Text frames, or bytes that fail the noise handshake, abort that one connection only.
 *
 * @example
 * ```ts
 * const hub = new SocketHub()
 * createLibp2p({ addresses: { listen: [hub.listenAddr('0')] }, transports: [durableObjectWebSockets(hub)] })
 * hub.accept(server, '203.0.113.7') // in fetch(), after server.accept()
 * ```
 */
import {
  type ComponentLogger,
  type CreateListenerOptions,
  type Listener,
  type ListenerEvents,
  type Logger,
  type Transport,
  transportSymbol,
  type Upgrader,
} from '@libp2p/interface'
import { AbstractMultiaddrConnection, ipPortToMultiaddr, repeatingTask } from '@libp2p/utils'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'

const LISTEN_PREFIX = '/memory/edgeswarm-shard-'
/** Bytes queued on one socket before writers are told to wait for 'drain'. */
const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024
const BUFFERED_POLL_MS = 10

export interface SocketHooks {
  /** Runs once, when the connection is gone (for per-IP accounting). */
  onClose: () => void
  /** The socket did not become a libp2p connection: garbage, a failed handshake, a timeout or a refusal. */
  onUpgradeFailed: (err: unknown) => void
}

type Chunks = Parameters<AbstractMultiaddrConnection['sendData']>[0]

interface SocketConnInit {
  socket: WebSocket
  remoteAddr: Multiaddr
  log: Logger
}

class SocketConnection extends AbstractMultiaddrConnection {
  readonly #socket: WebSocket
  readonly #drainTask: ReturnType<typeof repeatingTask>

  constructor(init: SocketConnInit) {
    super({ remoteAddr: init.remoteAddr, direction: 'inbound', log: init.log })
    this.#socket = init.socket
    // recent compatibility dates deliver binary frames as Blob unless asked otherwise
    this.#socket.binaryType = 'arraybuffer'
    this.#drainTask = repeatingTask(() => this.#checkBuffered(), BUFFERED_POLL_MS)
    this.#socket.addEventListener('message', (evt) => {
      if (typeof evt.data === 'string') {
        this.abort(new Error('text frame on a libp2p WebSocket'))
        return
      }
      const data = evt.data as ArrayBuffer | ArrayBufferView
      this.onData(
        data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      )
    })
    this.#socket.addEventListener('close', (evt) => {
      this.#drainTask.stop()
      if (evt.wasClean) this.onTransportClosed()
      else this.onRemoteReset()
    })
    this.#socket.addEventListener('error', () => {
      this.#drainTask.stop()
      this.onRemoteReset()
    })
  }

  #buffered(): number {
    const n = (this.#socket as { bufferedAmount?: number }).bufferedAmount
    return typeof n === 'number' ? n : 0
  }

  #checkBuffered(): void {
    if (this.#buffered() === 0) {
      this.#drainTask.stop()
      this.safeDispatchEvent('drain')
    }
  }

  sendData(data: Chunks): { sentBytes: number; canSendMore: boolean } {
    for (const buf of data) this.#socket.send(buf)
    const canSendMore = this.#buffered() < DEFAULT_MAX_BUFFERED_BYTES
    if (!canSendMore) this.#drainTask.start()
    return { sentBytes: data.byteLength, canSendMore }
  }

  sendReset(): void {
    this.#drainTask.stop()
    this.#close(1011, 'reset')
  }

  async sendClose(): Promise<void> {
    this.#drainTask.stop()
    this.#close(1000, 'closed')
  }

  #close(code: number, reason: string): void {
    try {
      this.#socket.close(code, reason)
    } catch (err) {
      this.log('socket close failed - %e', err)
    }
  }

  sendPause(): void {
    // a workerd WebSocket cannot stop reading; yamux windows bound what is in flight
  }

  sendResume(): void {
    // see sendPause
  }
}

class SocketListener extends TypedEventEmitter<ListenerEvents> implements Listener {
  readonly #hub: SocketHub
  readonly #upgrader: Upgrader
  readonly #log: Logger
  readonly #logger: ComponentLogger
  readonly #shutdown = new AbortController()
  #addr?: Multiaddr

  constructor(hub: SocketHub, upgrader: Upgrader, logger: ComponentLogger) {
    super()
    this.#hub = hub
    this.#upgrader = upgrader
    this.#logger = logger
    this.#log = logger.forComponent('edgeswarm:worker:relay-transport')
  }

  async listen(ma: Multiaddr): Promise<void> {
    this.#addr = ma
    this.#hub.register(this)
    this.safeDispatchEvent('listening')
  }

  accept(socket: WebSocket, remoteAddr: Multiaddr, hooks: SocketHooks): void {
    const maConn = new SocketConnection({
      socket,
      remoteAddr,
      log: this.#logger.forComponent('edgeswarm:worker:relay-transport:connection'),
    })
    maConn.addEventListener('close', hooks.onClose, { once: true })
    this.#upgrader.upgradeInbound(maConn, { signal: this.#shutdown.signal }).catch((err: unknown) => {
      // garbage, a failed handshake or a refused connection: close this socket only
      this.#log('inbound upgrade failed - %e', err)
      hooks.onUpgradeFailed(err)
      maConn.abort(err instanceof Error ? err : new Error(String(err)))
    })
  }

  getAddrs(): Multiaddr[] {
    return []
  }

  updateAnnounceAddrs(): void {}

  async close(): Promise<void> {
    this.#shutdown.abort()
    this.#hub.unregister(this)
    this.safeDispatchEvent('close')
  }

  get addr(): Multiaddr | undefined {
    return this.#addr
  }
}

/** Hands WebSockets accepted by the Durable Object to the running node's listener. */
export class SocketHub {
  #listener?: SocketListener

  listenAddr(shard: string): string {
    return `${LISTEN_PREFIX}${shard}`
  }

  register(listener: SocketListener): void {
    this.#listener = listener
  }

  unregister(listener: SocketListener): void {
    if (this.#listener === listener) this.#listener = undefined
  }

  /** Upgrades an accepted socket from `clientIp` (noise + yamux) as an inbound libp2p connection. */
  accept(socket: WebSocket, clientIp: string, hooks: SocketHooks): void {
    if (this.#listener === undefined) throw new Error('relay shard listener is not running')
    this.#listener.accept(socket, remoteMultiaddr(clientIp), hooks)
  }
}

function remoteMultiaddr(ip: string): Multiaddr {
  try {
    return ipPortToMultiaddr(ip, 0).encapsulate('/ws')
  } catch {
    // unknown or malformed client address (e.g. a local test without the header)
    return multiaddr('/ip4/0.0.0.0/tcp/0/ws')
  }
}

class DurableObjectWebSockets implements Transport {
  readonly [transportSymbol] = true as const
  readonly [Symbol.toStringTag] = '@edgeswarm/durable-object-websockets'
  readonly #hub: SocketHub
  readonly #logger: ComponentLogger

  constructor(hub: SocketHub, logger: ComponentLogger) {
    this.#hub = hub
    this.#logger = logger
  }

  async dial(): Promise<never> {
    throw new Error('a relay shard does not dial')
  }

  createListener(options: CreateListenerOptions): Listener {
    return new SocketListener(this.#hub, options.upgrader, this.#logger)
  }

  listenFilter = (addrs: Multiaddr[]): Multiaddr[] =>
    addrs.filter((a) => a.toString().startsWith(LISTEN_PREFIX))

  dialFilter = (): Multiaddr[] => []
}

export function durableObjectWebSockets(
  hub: SocketHub,
): (components: { logger: ComponentLogger }) => Transport {
  return (components) => new DurableObjectWebSockets(hub, components.logger)
}
