import type { Server as NetServer, Socket } from 'node:net'
import type { Duplex } from 'node:stream'

/** Where {@link RpcServer.serve} takes connections from (Go's `net.Listener`). */
export interface Listener {
  /** The next connection; rejects with the accept error (the loop backs off and asks again). */
  accept(): Promise<Duplex>
  /** Stops listening; pending and later `accept()` calls reject. */
  close(): void
  /** Settles once the listener is closed. */
  readonly closed: Promise<void>
}

/**
 * A {@link Listener} over a listening `net.Server`. Connections the server accepts while the
 * loop is backing off wait here until it asks again, as they would in the kernel's backlog.
 */
export class TcpListener implements Listener {
  private readonly queue: Array<Socket | { error: Error }> = []
  private waiter: { resolve: (s: Socket) => void; reject: (e: Error) => void } | undefined
  private isClosed = false
  readonly closed: Promise<void>
  private markClosed!: () => void

  constructor(private readonly server: NetServer) {
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve
    })
    server.on('connection', (socket: Socket) => this.offer(socket))
    // After listen() succeeded, a server 'error' is an accept failure.
    server.on('error', (error: Error) => this.offer({ error }))
    server.on('close', () => this.markClosed())
  }

  accept(): Promise<Duplex> {
    const next = this.queue.shift()
    if (next !== undefined) return 'error' in next ? Promise.reject(next.error) : Promise.resolve(next)
    if (this.isClosed) return Promise.reject(new Error('listener closed'))
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
    })
  }

  close(): void {
    if (this.isClosed) return
    this.isClosed = true
    this.server.close()
    for (const item of this.queue.splice(0)) if (!('error' in item)) item.destroy()
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.reject(new Error('listener closed'))
  }

  private offer(item: Socket | { error: Error }): void {
    if (this.isClosed) {
      if (!('error' in item)) item.destroy()
      return
    }
    const waiter = this.waiter
    if (waiter === undefined) {
      this.queue.push(item)
      return
    }
    this.waiter = undefined
    if ('error' in item) waiter.reject(item.error)
    else waiter.resolve(item)
  }
}
