#!/usr/bin/env bash
# A private CA and a server certificate signed by it, for the broker's amqps:// and Redis's rediss:// listeners:
#
#   deploy/tls/certificates.sh DIR [OWNER] NAME...   # e.g. deploy/tls/certificates.sh /tls 999:999 rabbitmq redis localhost
#
# Writes DIR/ca.pem, DIR/server.pem and DIR/server.key (mode 600, chowned to OWNER when given as uid:gid) unless
# DIR/server.pem exists: certificates of your own CA put there first are kept. Each NAME becomes a DNS subject
# alternative name; 127.0.0.1 is always added. The CA's key stays in DIR/ca.key (mode 600): move it offline.
set -euo pipefail
dir="$1"; shift
owner=""
if [[ "${1:-}" =~ ^[0-9]+:[0-9]+$ ]]; then owner="$1"; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 DIR [UID:GID] NAME..." >&2; exit 2; }
[ -s "$dir/server.pem" ] && { echo "[tls] $dir/server.pem exists; kept" >&2; exit 0; }
mkdir -p "$dir"
cd "$dir"
san="IP:127.0.0.1"; for name in "$@"; do san="DNS:$name,$san"; done
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=NeuralTrade private CA" -keyout ca.key -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -out server.pem -extfile server.ext 2>/dev/null
rm -f server.csr server.ext
chmod 600 ca.key server.key
chmod 644 ca.pem server.pem
[ -z "$owner" ] || chown "$owner" server.key server.pem ca.pem
echo "[tls] private CA $dir/ca.pem; server certificate for $san" >&2
