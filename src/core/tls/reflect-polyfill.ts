// @peculiar/x509 resolves its ASN.1 and signature plug-ins through tsyringe, which refuses to load unless
// a Reflect metadata API exists. This is the small part of that (proposed) API tsyringe calls, kept here
// instead of another dependency. A full polyfill loaded earlier (reflect-metadata, core-js) takes precedence.
type Key = string | symbol | undefined;

const store = new WeakMap<object, Map<Key, Map<unknown, unknown>>>();

function ownMap(target: object, property: Key, create: boolean): Map<unknown, unknown> | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let entries = byProperty.get(property);
  if (!entries && create) {
    entries = new Map();
    byProperty.set(property, entries);
  }
  return entries;
}

function getOwnMetadata(key: unknown, target: object, property?: Key): unknown {
  return ownMap(target, property, false)?.get(key);
}

function hasOwnMetadata(key: unknown, target: object, property?: Key): boolean {
  return ownMap(target, property, false)?.has(key) ?? false;
}

// Metadata is inherited along the prototype chain, as in the proposal.
function findOwner(key: unknown, target: object, property?: Key): object | undefined {
  for (let current: object | null = target; current; current = Object.getPrototypeOf(current) as object | null) {
    if (hasOwnMetadata(key, current, property)) return current;
  }
  return undefined;
}

const api = {
  defineMetadata(key: unknown, value: unknown, target: object, property?: Key): void {
    ownMap(target, property, true)!.set(key, value);
  },
  getOwnMetadata,
  hasOwnMetadata,
  getMetadata(key: unknown, target: object, property?: Key): unknown {
    const owner = findOwner(key, target, property);
    return owner ? getOwnMetadata(key, owner, property) : undefined;
  },
  hasMetadata(key: unknown, target: object, property?: Key): boolean {
    return findOwner(key, target, property) !== undefined;
  },
};

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== 'function') {
  for (const [name, fn] of Object.entries(api)) {
    if (typeof reflect[name] !== 'function') Object.defineProperty(Reflect, name, { value: fn, writable: true, configurable: true });
  }
}
