/** Raised when repository data fails verification: a chunk that does not authenticate, hash or decompress. */
export class RepositoryCorrupted extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RepositoryCorrupted';
  }
}

/** A pack that ends before a blob its index names: truncated, or replaced by something else. */
export function packShorterThanIndex(pack: string): RepositoryCorrupted {
  return new RepositoryCorrupted(`pack ${pack} is shorter than its index says`);
}
