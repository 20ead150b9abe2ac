import type { Client, estypes } from '@elastic/elasticsearch';

/** How long the point in time is kept between two pages: a page is handed on and the next asked for well within it. */
const KEEP_ALIVE = '2m';

export interface ScanOptions {
  index: string;
  /** Fields of `_source` to return. */
  fields: readonly string[];
  query?: estypes.QueryDslQueryContainer;
  /** Hits per page: a few thousand, so a page is a few MB. */
  pageSize: number;
  /** Ask for each hit's `_version`. */
  version?: boolean;
}

/**
 * Streams every document of an index once, a page at a time, from a point in time (a snapshot that
 * later writes do not move) in `_shard_doc` order with `search_after`: never the whole index in
 * memory, no deep-paging limit, and no document seen twice or skipped while others are written.
 * The point in time is closed however the scan ends.
 */
export async function scanIndex<T>(client: Client, options: ScanOptions, onPage: (hits: estypes.SearchHit<T>[]) => void): Promise<void> {
  let pit = (await client.openPointInTime({ index: options.index, keep_alive: KEEP_ALIVE })).id;
  try {
    let after: estypes.SortResults | undefined;
    for (;;) {
      const page = await client.search<T>({
        pit: { id: pit, keep_alive: KEEP_ALIVE },
        size: options.pageSize,
        sort: [{ _shard_doc: { order: 'asc' } }],
        ...(after ? { search_after: after } : {}),
        _source: [...options.fields],
        ...(options.query ? { query: options.query } : {}),
        ...(options.version ? { version: true } : {}),
        track_total_hits: false,
      });
      // The server may hand back a new id for the same point in time: the latest is the one to use.
      pit = page.pit_id ?? pit;
      const hits = page.hits.hits;
      if (hits.length > 0) onPage(hits);
      const last = hits.at(-1);
      if (hits.length < options.pageSize || !last?.sort) break;
      after = last.sort;
    }
  } finally {
    // Left open it would only expire after KEEP_ALIVE; failing to close it is no reason to fail the read.
    await client.closePointInTime({ id: pit }).catch(() => {});
  }
}
