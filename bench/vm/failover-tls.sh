# bench: failover with SSL_GET. The failover bench (bench-failover.sh, sourced) with both
# real servers answering TLS 1.3 on 443 and checked by SSL_GET: a real server's TLS server
# is killed (connection refused from then on), then restarted; time until it leaves and
# until it is back in the table, lvsmon and keepalived, retry 0 and 1. Lines:
# `BENCH failover_tls tool=... retry=... trial=... down_s=... up_s=...`.
KIND=failover_tls
CHECK=SSL_GET
TRIALS=${TLS_TRIALS:-8}
. /scenarios/bench-failover.sh
