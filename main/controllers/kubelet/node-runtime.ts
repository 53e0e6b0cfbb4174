/**
 * What one node's container runtime and CNI hold that the kubelet consults: the images present
 * (containerd's image store, reported in `node.status.images`), the one-at-a-time image puller
 * (the kubelet's serialized image pulls, on by default), and pod IPs from the node's
 * `spec.podCIDR` (host-local IPAM as kindnet configures it: the gateway `.1` reserved, addresses
 * handed out in turn after the last one given).
 */
import { imageId, imageSize, parseImage, PRELOADED_IMAGES } from './images';

/** An image in the node's store. */
export interface StoredImage {
  readonly id: string;
  readonly sizeBytes: number;
}

/** Go's `time.Duration.String()` for whole milliseconds: `523ms`, `1.393s`, `1m20s`, `5m0s`. */
export function goDuration(ms: number): string {
  const total = Math.round(ms);
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const millis = total % 60_000;
  const seconds = `${Math.floor(millis / 1000)}${
    millis % 1000
      ? `.${String(millis % 1000)
          .padStart(3, '0')
          .replace(/0+$/, '')}`
      : ''
  }s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}

/** `format.Pod`: `name_namespace(uid)`. */
export function formatPod(name: string, namespace: string, uid: string): string {
  return `${name}_${namespace}(${uid})`;
}

/** A metav1.MicroTime: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** host-local IPAM over one IPv4 range. */
export class PodAddresses {
  private readonly first: number;
  private readonly last: number;
  private readonly used = new Set<number>();
  private lastGiven: number;

  constructor(cidr: string) {
    const [address = '', bits = '24'] = cidr.split('/');
    const base = ipToInt(address) ?? ipToInt('10.244.0.0')!;
    const prefix = Math.min(30, Math.max(8, Number(bits) || 24));
    const size = 2 ** (32 - prefix);
    const network = (base & ~(size - 1)) >>> 0;
    this.first = network + 2;
    this.last = network + size - 2;
    this.lastGiven = this.first - 1;
  }

  /** Marks an address already in use (a pod that has one). */
  reserve(ip: string): void {
    const n = ipToInt(ip);
    if (n === undefined || n < this.first || n > this.last) return;
    this.used.add(n);
    if (n > this.lastGiven) this.lastGiven = n;
  }

  /** The next free address after the last one given, wrapping around; undefined when full. */
  allocate(): string | undefined {
    const count = this.last - this.first + 1;
    for (let i = 1; i <= count; i++) {
      const candidate = this.first + ((this.lastGiven - this.first + i) % count);
      if (this.used.has(candidate)) continue;
      this.used.add(candidate);
      this.lastGiven = candidate;
      return intToIp(candidate);
    }
    return undefined;
  }

  release(ip: string): void {
    const n = ipToInt(ip);
    if (n !== undefined) this.used.delete(n);
  }
}

/** One node's runtime. */
export class NodeRuntime {
  readonly images = new Map<string, StoredImage>();
  /** When the node's puller is free again (serialized pulls). */
  pullFreeAt = 0;
  addresses: PodAddresses;
  /** The node's images changed since its status last reported them. */
  imagesChanged = false;

  constructor(
    readonly name: string,
    public cidr: string,
    reportedImages: ReadonlyArray<{ names?: unknown; sizeBytes?: unknown }> | undefined,
  ) {
    this.addresses = new PodAddresses(cidr);
    if (reportedImages && reportedImages.length > 0) {
      // Rebuilt from what the node reported: its status is the record of its image store.
      for (const image of reportedImages) {
        const names = Array.isArray(image.names) ? image.names.map(String) : [];
        const id = names.find((n) => n.includes('@sha256:')) ?? '';
        for (const name of names) {
          if (name.includes('@')) continue;
          this.images.set(name, { id, sizeBytes: Number(image.sizeBytes ?? 0) });
        }
      }
    } else {
      for (const image of PRELOADED_IMAGES) this.add(image);
      this.imagesChanged = true;
    }
  }

  /** Hands out addresses from another range from now on. */
  useCidr(cidr: string): void {
    this.cidr = cidr;
    this.addresses = new PodAddresses(cidr);
  }

  has(normalized: string): boolean {
    return this.images.has(normalized);
  }

  /** Records a pulled image. */
  add(normalized: string): StoredImage | undefined {
    const parsed = parseImage(normalized);
    if (!parsed.ok) return undefined;
    const existing = this.images.get(parsed.ref.normalized);
    if (existing) return existing;
    const stored = { id: imageId(parsed.ref), sizeBytes: imageSize(parsed.ref) };
    this.images.set(parsed.ref.normalized, stored);
    this.imagesChanged = true;
    return stored;
  }

  /** `node.status.images`: names (digest first, then tags), largest first, at most 50. */
  statusImages(): Array<{ names: string[]; sizeBytes: number }> {
    const byId = new Map<string, { names: string[]; sizeBytes: number }>();
    for (const [name, image] of this.images) {
      let entry = byId.get(image.id);
      if (!entry) {
        entry = { names: image.id ? [image.id] : [], sizeBytes: image.sizeBytes };
        byId.set(image.id, entry);
      }
      entry.names.push(name);
    }
    return [...byId.values()]
      .sort(
        (a, b) => b.sizeBytes - a.sizeBytes || (a.names[0] ?? '').localeCompare(b.names[0] ?? ''),
      )
      .slice(0, 50);
  }
}
