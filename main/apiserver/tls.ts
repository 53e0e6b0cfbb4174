/**
 * The cluster's certificates: a per-cluster CA and a serving certificate for 127.0.0.1 and
 * localhost, ECDSA P-256, made with @peculiar/x509 over Node's WebCrypto (a few tens of ms).
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export interface ClusterCertificates {
  /** PEM of the CA certificate (goes into the kubeconfig as certificate-authority-data). */
  readonly caCert: string;
  readonly caKey: string;
  /** PEM of the serving certificate and its key. */
  readonly cert: string;
  readonly key: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

function pemKey(der: ArrayBuffer, label: string): string {
  const base64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign']) as Promise<CryptoKey>;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

/** A CA (valid ten years, as kubeadm's) and a serving certificate signed by it (one year). */
export async function createCertificates(
  now: Date = new Date(),
  existing?: { caCert: string; caKey: string },
): Promise<ClusterCertificates> {
  let caCert: x509.X509Certificate;
  let caPrivate: CryptoKey;
  let caKeyPem: string;
  if (existing) {
    caCert = new x509.X509Certificate(existing.caCert);
    caPrivate = await importKey(existing.caKey);
    caKeyPem = existing.caKey;
  } else {
    const caKeys = (await webcrypto.subtle.generateKey(ALGORITHM, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    caCert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=kubernetes',
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 3650 * DAY),
      keys: caKeys,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign |
            x509.KeyUsageFlags.digitalSignature |
            x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
      ],
    });
    caPrivate = caKeys.privateKey;
    caKeyPem = pemKey(
      await webcrypto.subtle.exportKey('pkcs8', caKeys.privateKey as CryptoKey),
      'PRIVATE KEY',
    );
  }
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=kube-apiserver',
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 365 * DAY),
    publicKey: keys.publicKey,
    signingKey: caPrivate,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
        { type: 'dns', value: 'kubernetes' },
        { type: 'dns', value: 'kubernetes.default' },
        { type: 'dns', value: 'kubernetes.default.svc' },
        { type: 'ip', value: '10.96.0.1' },
      ]),
    ],
  });
  return {
    caCert: caCert.toString('pem'),
    caKey: caKeyPem,
    cert: cert.toString('pem'),
    key: pemKey(
      await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as CryptoKey),
      'PRIVATE KEY',
    ),
  };
}
