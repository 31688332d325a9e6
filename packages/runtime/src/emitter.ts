import { EventEmitter } from 'node:events'

/** Maps event names to listener signatures. */
export type EventMap = { [event: string]: (...args: any[]) => void }

/** Node's EventEmitter with the event names and listener arguments checked by the compiler. */
export class TypedEmitter<Events extends EventMap> {
  private readonly emitter = new EventEmitter()

  constructor() {
    this.emitter.setMaxListeners(0)
  }

  on<E extends keyof Events & string>(event: E, listener: Events[E]): this {
    this.emitter.on(event, listener)
    return this
  }

  once<E extends keyof Events & string>(event: E, listener: Events[E]): this {
    this.emitter.once(event, listener)
    return this
  }

  off<E extends keyof Events & string>(event: E, listener: Events[E]): this {
    this.emitter.off(event, listener)
    return this
  }

  /** Calls every listener; a listener that throws does not stop the others or the caller. */
  emit<E extends keyof Events & string>(event: E, ...args: Parameters<Events[E]>): boolean {
    const listeners = this.emitter.listeners(event) as Events[E][]
    for (const listener of listeners) {
      try {
        listener(...args)
      } catch {
        // A listener's failure is its own; emitting must not break the state machine.
      }
    }
    return listeners.length > 0
  }

  listenerCount<E extends keyof Events & string>(event: E): number {
    return this.emitter.listenerCount(event)
  }

  removeAllListeners(): this {
    this.emitter.removeAllListeners()
    return this
  }
}
