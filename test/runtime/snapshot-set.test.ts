import { describe, expect, test } from 'vitest';
import { SnapshotSet } from '../../src/collections/SnapshotSet.js';

describe('SnapshotSet', () => {
  for (const size of [3, 20]) {
    test(`with ${size} members (${size > 8 ? 'past the small array, a Set' : 'a small array'}): add, has, delete, and one frozen snapshot until a change`, () => {
      const set = new SnapshotSet<number>();
      for (let i = 0; i < size; i++) expect(set.add(i)).toBe(true);
      expect(set.add(0)).toBe(false);
      expect(set.size).toBe(size);
      const snapshot = set.snapshot();
      expect(snapshot).toEqual([...Array(size).keys()]);
      expect(Object.isFrozen(snapshot)).toBe(true);
      expect(set.snapshot()).toBe(snapshot);
      expect(set.has(size - 1)).toBe(true);
      expect(set.delete(1)).toBe(true);
      expect(set.delete(1)).toBe(false);
      expect(set.has(1)).toBe(false);
      // A change makes a new snapshot; the one handed out before stays as it was (an event under way keeps it).
      expect(set.snapshot()).not.toBe(snapshot);
      expect(snapshot).toHaveLength(size);
      expect(set.snapshot()).toEqual([...Array(size).keys()].filter((i) => i !== 1));
      set.clear();
      expect(set.size).toBe(0);
      expect(set.snapshot()).toEqual([]);
    });
  }
});
