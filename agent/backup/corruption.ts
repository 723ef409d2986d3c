/** Raised when repository data fails verification: a chunk that does not authenticate, hash or decompress. */
export class RepositoryCorrupted extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RepositoryCorrupted';
  }
}
