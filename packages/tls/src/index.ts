export {
  TlsConfig,
  loadTlsConfig,
  loadTlsConfigSync,
  DEFAULT_MIN_VERSION,
} from './config.js'
export type { TlsMinVersion, TlsSwitches, TlsFileSettings, TlsPemSettings, PeerValidator } from './config.js'
export {
  validateRpcRegionPeer,
  rpcNameAndRegionValidator,
  certificateNames,
  dnsNamesOf,
} from './region.js'
export type { PeerCertificateNames } from './region.js'
export { outgoingWrapper } from './outgoing.js'
export type { RegionWrapper } from './outgoing.js'
export { TlsAcceptor } from './incoming.js'
export type { TlsAcceptorOptions } from './incoming.js'
export { shouldReloadRpcConnections, reloadTlsServer } from './reload.js'
export {
  createCa,
  createCertificate,
  createAgentCertificate,
  agentNames,
  DEFAULT_CA_DAYS,
  DEFAULT_CERT_DAYS,
  DEFAULT_DOMAIN,
  DEFAULT_REGION,
  DEFAULT_KEY_BITS,
} from './ca/authority.js'
export type {
  CertificateAndKey,
  CreateCaOptions,
  CreateCertificateOptions,
  CreateAgentCertificateOptions,
  CertificateRole,
} from './ca/authority.js'
export {
  TlsError,
  InvalidRoleOrRegionError,
  TlsFileError,
  TlsPemError,
  TlsKeyMismatchError,
  TlsConfigError,
  TlsHandshakeError,
  TlsFileExistsError,
  TlsUsageError,
  INVALID_ROLE_OR_REGION,
} from './errors.js'
export { caFileNames, agentFileNames, readCa, refuseExisting, writeNewFiles } from './ca/files.js'
export type { NewFile } from './ca/files.js'
export { runCli, USAGE } from './cli.js'
export type { CliIo } from './cli.js'
