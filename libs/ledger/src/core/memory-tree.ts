/**
 * In-memory implementation of the stored-node model: the same CompactRange + plans the database
 * uses, with a Map instead of a table. For tests, the CLI and embedded (browser) use.
 */
import { CompactRange, type NodeLookup, rangeHash } from './merkle.js';
import { consistencyProof, inclusionProof } from './proof.js';
import { type NodeId, MerkleError, nodeKey } from './tree-math.js';

export class MemoryTree {
  private readonly nodes = new Map<string, Uint8Array>();
  private readonly frontier = CompactRange.empty();

  /** Number of leaves. */
  get size(): number {
    return this.frontier.size;
  }

  /** Looks up a stored perfect node. */
  readonly lookup: NodeLookup = (id: NodeId) => this.nodes.get(nodeKey(id));

  /** Appends a leaf hash, stores every perfect node it completes, and returns the leaf index. */
  append(leafHash: Uint8Array): number {
    const index = this.frontier.size;
    this.frontier.append(leafHash, (id, hash) => this.nodes.set(nodeKey(id), hash));
    return index;
  }

  /** Root of the tree at `size` leaves (default: current size), from stored nodes. */
  root(size = this.size): Uint8Array {
    this.assertKnownSize(size);
    return size === this.size ? this.frontier.root() : rangeHash(0, size, this.lookup);
  }

  /** Inclusion proof of leaf `index` in the tree at `size` leaves. */
  inclusionProof(index: number, size = this.size): Uint8Array[] {
    this.assertKnownSize(size);
    return inclusionProof(index, size, this.lookup);
  }

  /** Consistency proof between two sizes of this tree. */
  consistencyProof(size1: number, size2 = this.size): Uint8Array[] {
    this.assertKnownSize(size2);
    return consistencyProof(size1, size2, this.lookup);
  }

  /** Number of stored perfect nodes (2·size − popcount(size)). */
  get storedNodeCount(): number {
    return this.nodes.size;
  }

  private assertKnownSize(size: number): void {
    if (size > this.size)
      throw new MerkleError('invalid-size', `tree size ${size} > current size ${this.size}`);
  }
}
