const EMPTY: readonly never[] = Object.freeze([]);
/** Up to this many members, the frozen array alone; past it, a Set as well. */
const SMALL = 8;

/**
 * A set whose members are handed out as a frozen array, made again only after a change: an event goes to
 * the members there were when it began, without a copy per event. Small sets (most: a token's services,
 * a reference's candidates) are that array alone, replaced on change, a fraction of a Set's size; past
 * SMALL members a Set keeps adding and removing O(1), and the array is made when next asked for.
 */
export class SnapshotSet<T> {
  private list: readonly T[] | undefined = EMPTY;
  private set: Set<T> | undefined;

  get size(): number {
    return this.set ? this.set.size : (this.list as readonly T[]).length;
  }

  has(item: T): boolean {
    return this.set ? this.set.has(item) : (this.list as readonly T[]).includes(item);
  }

  /** False if it was there already. */
  add(item: T): boolean {
    if (this.has(item)) return false;
    if (this.set) {
      this.set.add(item);
      this.list = undefined;
    } else {
      const list = this.list as readonly T[];
      // concat, not a spread or push: those leave spare room, kept as long as the array (~130 bytes).
      if (list.length < SMALL) this.list = Object.freeze(list.concat([item]));
      else {
        this.set = new Set([...list, item]);
        this.list = undefined;
      }
    }
    return true;
  }

  /** False if it was not there. */
  delete(item: T): boolean {
    if (this.set) {
      if (!this.set.delete(item)) return false;
      this.list = undefined;
      return true;
    }
    const list = this.list as readonly T[];
    if (!list.includes(item)) return false;
    this.list = list.length === 1 ? EMPTY : Object.freeze(list.filter((member) => member !== item).slice());
    return true;
  }

  clear(): void {
    this.set = undefined;
    this.list = EMPTY;
  }

  /** The members in the order they were added, frozen: the same array until the next change. */
  snapshot(): readonly T[] {
    return (this.list ??= Object.freeze(Array.from(this.set as Set<T>)));
  }
}
