/**
 * Fencing tokens that survive an OS crash without a disk flush per lock operation: each open of a
 * local lock store takes the next epoch and makes it durable (one flush), and every token it hands
 * out is at least epochFloor(epoch). Commits lost to an OS crash held tokens below the floor of the
 * next epoch (fewer than TOKENS_PER_EPOCH acquisitions of one name per open), so tokens still rise.
 */
export const TOKENS_PER_EPOCH = 2 ** 28;

/** The least token an open with this epoch hands out; exact as a double up to epoch 2^25. */
export function epochFloor(epoch: number | bigint): bigint {
  return BigInt(epoch) * BigInt(TOKENS_PER_EPOCH);
}

/** The reserved lock name whose counter is the epoch, under a namespace no identifier can be (""). */
export const EPOCH_NAMESPACE = "";
export const EPOCH_NAME = "fence-epoch";
