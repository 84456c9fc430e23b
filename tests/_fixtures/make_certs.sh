#!/bin/sh
# Regenerates the TLS test fixtures in this folder: a small CA, a server leaf
# for localhost / 127.0.0.1 / ::1 and a client leaf, all signed by the CA and
# valid for 100 years. Deno's TLS (rustls) rejects a self-signed certificate
# used as a leaf, so the leaves are signed by a separate CA.
#
# Usage: sh tests/_fixtures/make_certs.sh   (needs openssl 1.1.1 or newer)
set -eu

cd "$(dirname "$0")"
DAYS=36500
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The CA. Its key is thrown away: rerun this script to get new fixtures.
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$TMP/ca-key.pem" -out ca.pem -days "$DAYS" -sha256 \
  -subj "/CN=listenrain test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash"

leaf() { # leaf NAME CN EXTENDED_KEY_USAGE SUBJECT_ALT_NAME
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/$1-key.pem" -out "$TMP/$1.csr" -subj "/CN=$2"
  # PKCS#8 ("BEGIN PRIVATE KEY"): read by Deno, Bun and Node alike.
  openssl pkcs8 -topk8 -nocrypt -in "$TMP/$1-key.pem" -out "$1-key.pem"
  cat > "$TMP/$1.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$3
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=$4
EXT
  openssl x509 -req -in "$TMP/$1.csr" -CA ca.pem -CAkey "$TMP/ca-key.pem" \
    -CAcreateserial -CAserial "$TMP/ca.srl" -out "$1.pem" -days "$DAYS" \
    -sha256 -extfile "$TMP/$1.ext"
}

leaf server localhost serverAuth "DNS:localhost,IP:127.0.0.1,IP:::1"
leaf client "listenrain test client" clientAuth "DNS:client.localhost"

openssl verify -CAfile ca.pem server.pem client.pem
