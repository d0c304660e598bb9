/** Which contracts of the suite are registered. */
export interface Selection {
  cache: boolean;
  lock: boolean;
  checkpoint: boolean;
}
