export { needsBinaryReason, type RedisAvailability, redisTestAvailability } from "./availability.js";
export { DEFAULT_REDIS_IMAGE, startDockerRedis } from "./docker-redis.js";
export { freePort } from "./free-port.js";
export { RedisProcess, type RedisProcessOptions, ServerStartError } from "./redis-process.js";
export {
  MANAGED_DISABLED_COMMANDS,
  type SentinelGroup,
  startCluster,
  startManagedLike,
  startPrimaries,
  startSentinelGroup,
  startStandalone,
  startTls,
  type TestServer,
  type TestServers,
} from "./servers.js";
export { generateCertificates, type TestCertificates } from "./tls-certs.js";
