# bench: SSL_GET. The scale bench (bench-scale.sh, sourced) with the real servers speaking
# TLS (the responder's RESPONDER_TLS mode: one protocol version, a self-signed ECDSA P-256
# certificate, verified by neither tool as neither config has `SSL { ca }`), lvsmon and
# keepalived each checking them by SSL_GET every 1 s: checks/s, CPU per check, RSS, at 100
# and 1000 real servers, against TLS 1.3 and TLS 1.2 servers. Lines: `BENCH tls check=SSL_GET
# tls=VERSION tool=...` with the scale bench's fields.
KIND=tls
CHECK=SSL_GET
TLS_VERSIONS="1.3 1.2"
SIZES=${TLS_SIZES:-100 1000}
. /scenarios/bench-scale.sh
