import type { Snapshot } from '../../shared/model';

const BATCH = 2000;

/**
 * The snapshot as one JSON document, in chunks: at 100k connections a single
 * JSON.stringify would hold a ~60 MB string on top of the snapshot itself.
 */
export function* snapshotJsonChunks(snapshot: Snapshot): Generator<string> {
  const { connections, ...head } = snapshot;
  yield `${JSON.stringify(head).slice(0, -1)},"connections":[`;
  for (let i = 0; i < connections.length; i += BATCH) {
    const batch = connections.slice(i, i + BATCH).map((c) => JSON.stringify(c));
    yield (i === 0 ? '' : ',') + batch.join(',');
  }
  yield ']}\n';
}
