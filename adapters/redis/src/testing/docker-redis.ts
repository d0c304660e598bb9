/** The image the Docker fallback runs; `STOWAGE_REDIS_IMAGE` picks another (e.g. a Valkey image). */
export const DEFAULT_REDIS_IMAGE = "redis:7.2-alpine";

/**
 * Starts one standalone Redis (no persistence) in a container with testcontainers and returns
 * its URL. testcontainers' reaper removes the container when this process exits. Errors name
 * Docker, so a machine whose engine answers but cannot pull or start the image says so.
 */
export async function startDockerRedis(
  image = process.env.STOWAGE_REDIS_IMAGE ?? DEFAULT_REDIS_IMAGE,
): Promise<string> {
  let testcontainers: typeof import("testcontainers");
  try {
    testcontainers = await import("testcontainers");
  } catch (error) {
    throw new Error(
      "a Docker engine answers but the testcontainers package is not installed (npm install -D testcontainers), so no Redis container can be started",
      { cause: error },
    );
  }
  const { GenericContainer, Wait } = testcontainers;
  try {
    const container = await new GenericContainer(image)
      .withExposedPorts(6379)
      .withCommand(["redis-server", "--save", "", "--appendonly", "no"])
      .withWaitStrategy(Wait.forLogMessage("Ready to accept connections"))
      .start();
    return `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
  } catch (error) {
    throw new Error(
      `a Docker engine answers but the Redis container (${image}) did not start: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
