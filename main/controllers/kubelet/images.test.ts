import { describe, expect, it } from 'vitest';
import {
  decidePull,
  editDistance,
  imageId,
  parseImage,
  typoOfKnown,
  type ImageReference,
} from './images';

function ref(image: string): ImageReference {
  const parsed = parseImage(image);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.ref;
}

describe('image references (ParseNormalizedNamed)', () => {
  it('normalizes short names to Docker Hub library images with the latest tag', () => {
    expect(ref('nginx').normalized).toBe('docker.io/library/nginx:latest');
    expect(ref('nginx').defaulted).toBe('nginx:latest');
    expect(ref('nginx:1.27').normalized).toBe('docker.io/library/nginx:1.27');
    expect(ref('fluent/fluent-bit:3.0').normalized).toBe('docker.io/fluent/fluent-bit:3.0');
    expect(ref('registry.k8s.io/pause:3.10').normalized).toBe('registry.k8s.io/pause:3.10');
    expect(ref('localhost:5000/app').normalized).toBe('localhost:5000/app:latest');
    expect(ref('index.docker.io/library/redis').repository).toBe('docker.io/library/redis');
  });

  it('keeps a digest and adds no tag to it', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(ref(`nginx@${digest}`).normalized).toBe(`docker.io/library/nginx@${digest}`);
    expect(ref(`nginx@${digest}`).tag).toBeUndefined();
  });

  it('rejects invalid references with the library wording', () => {
    expect(parseImage('Nginx')).toEqual({
      ok: false,
      error: 'invalid reference format: repository name must be lowercase',
    });
    expect(parseImage('nginx:')).toEqual({ ok: false, error: 'invalid reference format' });
    expect(parseImage('nginx::1')).toEqual({ ok: false, error: 'invalid reference format' });
  });
});

describe('pull decisions from the catalogue', () => {
  it('pulls version-shaped and named tags of known repositories', () => {
    for (const image of [
      'nginx',
      'nginx:latest',
      'nginx:1.27',
      'nginx:1.27.3-alpine',
      'nginx:stable-alpine',
      'busybox:1.36',
      'httpd:2.4',
      'redis:7.2.5-alpine',
      'alpine:3.20',
      'ubuntu:22.04',
      'ubuntu:jammy',
      'postgres:16',
      'mysql:8.0',
      'registry.k8s.io/pause:3.9',
      'registry.k8s.io/kube-proxy:v1.30.14',
      'kindest/kindnetd:v20240513-cd2ac642',
      'prom/node-exporter:v1.8.2',
      'quay.io/prometheus/node-exporter:v1.9.1',
      'registry.k8s.io/coredns/coredns:v1.11.3',
      'rancher/local-path-provisioner:v0.0.30',
      'fluentd:v1.16-1',
      'fluent/fluent-bit:3.1.9',
    ]) {
      expect(decidePull(ref(image)).ok, image).toBe(true);
    }
  });

  it('reports tags that cannot exist as not found (containerd wording, NotFound code kept)', () => {
    expect(decidePull(ref('nginx:1.99999'))).toEqual({
      ok: false,
      message:
        'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.99999": failed to resolve reference "docker.io/library/nginx:1.99999": docker.io/library/nginx:1.99999: not found',
    });
    for (const image of [
      'nginx:lates',
      'nginx:2.0',
      'nginx:1.27-alpin',
      'busybox:9',
      'ubuntu:22.05',
      'registry.k8s.io/kube-proxy:1.30.14',
      'redis:6.2.99',
    ]) {
      const outcome = decidePull(ref(image));
      expect(outcome.ok, image).toBe(false);
      expect(outcome.ok ? '' : outcome.message, image).toContain(': not found');
    }
  });

  it('denies a repository a typo away from a known one (Unknown code stripped)', () => {
    expect(decidePull(ref('ngnix'))).toEqual({
      ok: false,
      message:
        'failed to pull and unpack image "docker.io/library/ngnix:latest": failed to resolve reference "docker.io/library/ngnix:latest": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
    });
    expect(typoOfKnown(ref('busybx'))?.repository).toBe('docker.io/library/busybox');
    expect(typoOfKnown(ref('reddis:7'))?.repository).toBe('docker.io/library/redis');
    expect(decidePull(ref('ngnix:1.27')).ok).toBe(false);
  });

  it('assumes unknown repositories exist', () => {
    for (const image of [
      'myorg/app:v3',
      'ghcr.io/acme/api:1.0',
      'kodekloud/webapp-color',
      'traefik/whoami',
    ]) {
      expect(decidePull(ref(image)).ok, image).toBe(true);
    }
  });

  it('gives each image a stable sha256 image ID', () => {
    const id = imageId(ref('nginx'));
    expect(id).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    expect(imageId(ref('docker.io/library/nginx:latest'))).toBe(id);
    expect(imageId(ref('nginx:1.27'))).not.toBe(id);
  });

  it('counts a transposition as one edit', () => {
    expect(editDistance('ngnix', 'nginx')).toBe(1);
    expect(editDistance('redis', 'rabbitmq')).toBeGreaterThan(2);
  });
});
