/**
 * Which media objects age into the Glacier tiers. Only data packs do: they
 * carry this tag, and the media bucket's lifecycle rule transitions only
 * objects with it. Index files, manifest roots and the packs of manifest
 * pages stay in S3 Standard, so a session's tree can be listed, browsed and
 * planned for restore without a retrieval, and only the data it needs is
 * retrieved.
 */
export const DATA_PACK_TAG = { key: 'tidemark-class', value: 'data' } as const;
