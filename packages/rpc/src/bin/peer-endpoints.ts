import type { EndpointRegistry } from '../endpoints.js'

/** `Data` is a Go `[]byte`: decode it as bytes, not text. */
export const echoDecode = { bytesKeys: new Set(['Data']) }

/**
 * The methods the test peers serve: `Status.Ping` (empty map in and out), `Echo.Echo`
 * (`{Region, Value, Data, N}` → `{Value, Data, N, Index: N+1}`) and `Echo.Fail`
 * (error `echo failure: <Value>`).
 */
export function registerPeerEndpoints(endpoints: EndpointRegistry): void {
  endpoints.register('Status.Ping', () => ({}))
  endpoints.register(
    'Echo.Echo',
    (args) => {
      const a = args as { Value?: string; Data?: Buffer; N?: number }
      const n = a.N ?? 0
      return { Value: a.Value ?? '', Data: a.Data ?? Buffer.alloc(0), N: n, Index: n + 1 }
    },
    { decode: echoDecode },
  )
  endpoints.register('Echo.Fail', (args) => {
    throw new Error(`echo failure: ${(args as { Value?: string }).Value ?? ''}`)
  })
}
