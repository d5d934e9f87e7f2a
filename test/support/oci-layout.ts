/**
 * A one-layer OCI image layout on disk (`oci:<dir>:<tag>` for skopeo), built from scratch:
 * a gzipped tar layer holding one file, its config and manifest, `index.json`, `oci-layout`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tarArchive } from '../../src/fs/tar';

export interface OciImage {
  readonly dir: string;
  readonly tag: string;
  /** `sha256:…` of the manifest, of the config, of the (compressed) layer. */
  readonly manifestDigest: string;
  readonly configDigest: string;
  readonly layerDigest: string;
}

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export function writeOciLayout(dir: string, tag: string, fileContent = `built for ${tag}\n`): OciImage {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const putBlob = (data: Buffer): string => {
    const digest = sha256(data);
    writeFileSync(join(blobs, digest.slice('sha256:'.length)), data);
    return digest;
  };
  const mtime = 1_700_000_000;
  const layerTar = tarArchive([
    { path: 'app/', type: 'directory', mode: 0o755, mtime },
    { path: 'app/hello.txt', type: 'file', mode: 0o644, content: Buffer.from(fileContent), mtime },
  ]);
  const layer = gzipSync(layerTar);
  const layerDigest = putBlob(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/true'] },
      rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
      history: [{ created_by: 'docker-credential-ecr-login tests' }],
    }),
  );
  const configDigest = putBlob(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
    }),
  );
  const manifestDigest = putBlob(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: manifestDigest,
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return { dir, tag, manifestDigest, configDigest, layerDigest };
}
