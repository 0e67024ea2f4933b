// Plan and team-pattern keys index plain objects: a key such as "constructor", "toString" or "__proto__"
// must find only what the plan or the catalog wrote there, never what Object.prototype holds.

/** The value `record` holds under `key` itself; undefined for a key it only inherits. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Sets `key` as an own property, "__proto__" included (a plain assignment would replace the prototype). */
export function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}
