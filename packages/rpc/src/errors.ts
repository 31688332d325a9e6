/** Stable codes of {@link RpcError}. */
export type RpcErrorCode =
  | 'RPC_REMOTE'
  | 'RPC_UNKNOWN_METHOD'
  | 'RPC_MALFORMED'
  | 'RPC_MESSAGE_TOO_LARGE'
  | 'RPC_CONNECTION_CLOSED'
  | 'RPC_HANDSHAKE_TIMEOUT'
  | 'RPC_POOL_SHUTDOWN'
  | 'RPC_DIAL'
  | 'RPC_STREAM'
  | 'RPC_STREAMING_REFUSED'
  | 'RPC_ABORTED'

/** Every failure of this package; `code` is stable, `message` follows Nomad's text. */
export class RpcError extends Error {
  override readonly name = 'RpcError'
  constructor(
    readonly code: RpcErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/**
 * The server answered with an error (net/rpc's `ServerError`): `message` is the server's text
 * exactly, for example `No cluster leader` or `rpc: can't find service Foo.Bar`.
 */
export class RemoteError extends RpcError {
  constructor(message: string) {
    super('RPC_REMOTE', message)
  }
}

/** Nomad's `Unknown rpc method` (streaming registry) text. */
export const UNKNOWN_RPC_METHOD = 'Unknown rpc method'

/** net/rpc's texts for a request it cannot route. */
export const netRpcMessages = {
  illFormed: (method: string) => `rpc: service/method request ill-formed: ${method}`,
  noService: (method: string) => `rpc: can't find service ${method}`,
  noMethod: (method: string) => `rpc: can't find method ${method}`,
}

/** Nomad's coded RPC error text (`structs.NewErrRPCCoded`): `RPC Error:: 404,not found`. */
export function codedErrorMessage(code: number, message: string): string {
  return `RPC Error:: ${code},${message}`
}
