//! Error table: `(source, "LINE:COL: message")` through `config::parse_str`, file `lvs.conf`.

use lvsmon::config::parse_str;

const VS: &str = "virtual_server 192.0.2.10 80 {\n protocol TCP\n";

fn rs(body: &str) -> String {
    format!("{VS} real_server 198.51.100.2 80 {{\n{body}\n }}\n}}\n")
}

fn cases() -> Vec<(String, &'static str)> {
    vec![
        (rs("  weigth 1"), "4:3: unknown keyword 'weigth' in real_server"),
        (format!("{VS} delay_loop abc\n}}\n"), "3:13: 'delay_loop' needs a number of seconds greater than 0, got 'abc'"),
        (format!("{VS} delay_loop\n}}\n"), "3:2: 'delay_loop' needs a number of seconds"),
        (format!("{VS} delay_loop 0\n}}\n"), "3:13: 'delay_loop' needs a number of seconds greater than 0, got '0'"),
        (format!("{VS} delay_loop 1 2\n}}\n"), "3:15: unexpected '2' after 'delay_loop' (expected a number of seconds)"),
        (format!("{VS} connect_timeout -1\n}}\n"), "3:18: 'connect_timeout' needs a number of seconds greater than 0, got '-1'"),
        (format!("{VS} warmup 1.2.3\n}}\n"), "3:9: 'warmup' needs a number of seconds, got '1.2.3'"),
        (format!("{VS} lb_algo fastest\n}}\n"), "3:10: 'lb_algo' needs a scheduler (rr wrr lc wlc lblc sh mh dh fo ovf lblcr sed nq twos), got 'fastest'"),
        (format!("{VS} lb_kind NATT\n}}\n"), "3:10: 'lb_kind' needs NAT, DR or TUN, got 'NATT'"),
        (format!("{VS} lvs_method TUN type gue\n}}\n"), "3:2: 'lvs_method TUN': a gue tunnel needs 'port NUM', other tunnel types take no port"),
        (format!("{VS} lvs_method TUN type ipip csum\n}}\n"), "3:27: ipip tunnels do not support a checksum option"),
        (format!("{VS} lvs_method TUN type gre remcsum\n}}\n"), "3:26: gre tunnels do not support remcsum"),
        (format!("{VS} lvs_method DR extra\n}}\n"), "3:16: unexpected 'extra' after 'lvs_method' (expected NAT, DR or TUN [type ipip|gue port NUM|gre] [nocsum|csum|remcsum])"),
        (format!("{VS} protocol ICMP\n}}\n"), "3:11: 'protocol' needs TCP, UDP or SCTP, got 'ICMP'"),
        (format!("{VS} persistence_timeout 0\n}}\n"), "3:22: 'persistence_timeout' needs a number of seconds (1 or more), got '0'"),
        (format!("{VS} persistence_granularity 255.0.255.0\n real_server 198.51.100.2 80 {{ }}\n}}\n"), "3:26: 'persistence_granularity' netmask '255.0.255.0' is not contiguous"),
        (format!("{VS} quorum 0\n}}\n"), "3:9: 'quorum' needs a weight sum (1 or more), got '0'"),
        (format!("{VS} quorum_up\n}}\n"), "3:2: 'quorum_up' needs a script path (quote it with its arguments) and optionally a user and group"),
        (format!("{VS} quorum_up /a b c d\n}}\n"), "3:19: unexpected 'd' after 'quorum_up' (expected a script path (quote it with its arguments) and optionally a user and group)"),
        (format!("{VS} sorry_server 192.0.2.300\n}}\n"), "3:15: 'sorry_server' needs an IPv4 or IPv6 address, got '192.0.2.300'"),
        (format!("{VS} foo\n}}\n"), "3:2: unknown keyword 'foo' in virtual_server"),
        (format!("{VS} real_server 198.51.100.2 80\n}}\n"), "3:2: 'real_server' needs a { } block"),
        (format!("{VS} real_server 198.51.100.2 99999 {{ }}\n}}\n"), "3:27: 'real_server' needs a port number (0-65535), got '99999'"),
        (format!("{VS} real_server 2001:db8::1 80 {{ }}\n}}\n"), "3:2: real_server 2001:db8::1 is IPv6 but the virtual server is IPv4 (only TUN may differ)"),
        (rs("  weight 70000"), "4:10: 'weight' needs a weight (0-65535), got '70000'"),
        (rs("  weight 1 {\n }"), "4:3: 'weight' does not take a { } block"),
        (rs("  TCP_CHECK { connect_port 0 }"), "4:28: 'connect_port' needs a port number (1-65535), got '0'"),
        (rs("  TCP_CHECK { connect_ip 1.2.3 }"), "4:26: 'connect_ip' needs an IPv4 or IPv6 address, got '1.2.3'"),
        (rs("  TCP_CHECK { bindto 2001:db8::1 }"), "4:15: bindto 2001:db8::1 and the check target 198.51.100.2 are different address families"),
        (rs("  TCP_CHECK { misc_path /x }"), "4:15: unknown keyword 'misc_path' in TCP_CHECK"),
        (rs("  MISC_CHECK { misc_path /x\n connect_timeout 3 }"), "5:2: unknown keyword 'connect_timeout' in MISC_CHECK"),
        (rs("  MISC_CHECK { misc_timeout 3 }"), "4:31: MISC_CHECK needs a 'misc_path'"),
        (rs("  HTTP_GET { }"), "4:14: HTTP_GET needs at least one url { } block"),
        (rs("  HTTP_GET { url { digest 00 } }"), "4:27: 'digest' needs 32 hex digits (an MD5 digest), got '00'"),
        (rs("  HTTP_GET { url { status_code 200 } }"), "4:14: url block needs a 'path'"),
        (rs("  HTTP_GET { url { path /\n status_code 200-199 } }"), "5:14: 'status_code' needs an HTTP status code (100-599) or a range like 200-299, got '200-199'"),
        #[cfg(feature = "regex")]
        (rs("  HTTP_GET { url { path /\n regex \"a(?=b)\" } }"), "5:8: 'regex' does not compile: look-around is not supported (lvsmon's regex has no look-around or back-references)"),
        (rs("  HTTP_GET { url { path /\n regex a b } }"), "5:10: 'regex' needs one pattern (quote it)"),
        (rs("  HTTP_GET { url { path /\n regex_min_offset x } }"), "5:19: 'regex_min_offset' needs a byte offset, got 'x'"),
        (rs("  HTTP_GET { url { path / }\n http_protocol 2 }"), "5:16: 'http_protocol' needs 1.0, 1.0C or 1.1, got '2'"),
        #[cfg(feature = "tls")]
        (rs("  SSL_GET { url { path / }\n verify maybe }"), "5:9: 'verify' needs one of on|off|true|false|yes|no, got 'maybe'"),
        #[cfg(feature = "tls")]
        (rs("  SSL_GET { url { path / }\n sni_name 192.0.2.1 }"), "5:11: 'sni_name' needs a DNS host name (TLS sends no IP address as SNI, RFC 6066 3), got '192.0.2.1'"),
        #[cfg(feature = "tls")]
        (rs("  SSL_GET { url { path / }\n enable_sni\n virtualhost www.example.org:8443 }"), "4:3: SSL_GET: virtualhost 'www.example.org:8443' can be neither sent as SNI nor verified (not a DNS name); set 'sni_name'"),
        #[cfg(feature = "tls")]
        (rs("  SSL_GET { }"), "4:13: SSL_GET needs at least one url { } block"),
        #[cfg(not(feature = "tls"))]
        (rs("  SSL_GET { url { path / } }"), "4:3: SSL_GET needs a build with the \"tls\" feature (this lvsmon was built without it); use HTTP_GET or TCP_CHECK"),
        (rs("  HTTP_GET { url { path / }\n tls_compliant }"), "5:2: unknown keyword 'tls_compliant' in HTTP_GET"),
        (rs("  HTTP_GET { url { path /\n tls_compliant } }"), "5:2: unknown keyword 'tls_compliant' in url"),
        (rs("  UDP_CHECK { payload 0g }"), "4:23: 'payload' needs hex digits, got '0g'"),
        (rs("  UDP_CHECK { require_reply 0Xg }"), "4:29: 'require_reply' needs hex digits (X for any nibble), got '0Xg'"),
        (rs("  UDP_CHECK { payload 0X }"), "4:23: 'payload' needs hex digits, got '0X'"),
        (rs("  UDP_CHECK { max_reply_length 65536 }"), "4:32: 'max_reply_length' needs a length (0-65535), got '65536'"),
        (rs("  TCP_CHECK { bind_if averyveryverylongname }"), "4:23: 'bind_if' needs an interface name of 1-15 bytes, got 'averyveryverylongname'"),
        (rs("  TCP_CHECK { fwmark -1 }"), "4:22: 'fwmark' needs a mark number (0-4294967295), got '-1'"),
        (rs("  TCP_CHECK { connect_ip fe80::1 }"), "4:3: the check target fe80::1 is link-local: it needs a 'bind_if'"),
        (rs("  DNS_CHECK { type PTR }"), "4:20: 'type' needs one of A, NS, CNAME, SOA, MX, TXT, AAAA, RRSIG, DNSKEY, got 'PTR'"),
        (rs("  DNS_CHECK { name a..b }"), "4:20: 'name' needs a domain name without empty labels, got 'a..b'"),
        (rs("  FILE_CHECK { track_file nope }"), "4:16: FILE_CHECK: track_file 'nope' is not defined"),
        (rs("  FILE_CHECK { retry 1 }"), "4:16: unknown keyword 'retry' in FILE_CHECK"),
        (rs("  BFD_CHECK { name x }"), "4:3: 'BFD_CHECK' is not supported by lvsmon (no BFD)"),
        (rs("  TCP_CHECK"), "4:3: 'TCP_CHECK' needs a { } block"),
        ("virtual_server 192.0.2.1 80 {\n".to_string(), "1:1: 'virtual_server' block is not closed: missing '}' before end of file"),
        (rs("  weight 1\n }\n}\n}"), "7:1: unexpected '}' (no block is open)"),
        ("{\n}\n".to_string(), "1:1: unexpected '{' (no keyword before it)"),
        ("virtual_server 192.0.2.1 80 {\n virtualhost \"abc\n}\n".to_string(), "2:14: unterminated quoted string (missing closing '\"')"),
        ("virtual_sever 192.0.2.1 80 {\n}\n".to_string(), "1:1: unknown keyword 'virtual_sever' at top level"),
        ("virtual_server {\n}\n".to_string(), "1:1: 'virtual_server' needs an IP address and port, 'fwmark N' or 'group NAME'"),
        ("virtual_server 192.0.2 80 {\n}\n".to_string(), "1:16: 'virtual_server' needs an IP address and port, 'fwmark N' or 'group NAME', got '192.0.2'"),
        ("virtual_server fwmark x {\n}\n".to_string(), "1:23: 'fwmark' needs a mark number, got 'x'"),
        ("virtual_server group G {\n real_server 198.51.100.2 80 { }\n}\n".to_string(), "1:1: virtual_server_group 'G' is not defined"),
        ("virtual_server_group G {\n 192.0.2.5-3 80\n}\n".to_string(), "2:2: '192.0.2.5-3': the range end is not greater than its start"),
        ("virtual_server_group G {\n 192.0.2.1/24 80\n}\n".to_string(), "2:2: '192.0.2.1/24': address has host bits set for /24"),
        ("virtual_server_group G {\n 192.0.2.1-x 80\n}\n".to_string(), "2:2: 'virtual_server_group' needs an address, a range (a.b.c.d-e, a.b.c.d-e.f.g.h) or a prefix (a.b.c.d/nn), got '192.0.2.1-x'"),
        ("virtual_server_group G {\n fwmark 1 inet7\n}\n".to_string(), "2:11: 'fwmark' needs inet or inet6, got 'inet7'"),
        ("virtual_server_group G {\n}\n".to_string(), "1:1: virtual_server_group 'G' has no entries"),
        ("global_defs {\n lvs_timeouts tcp\n}\n".to_string(), "2:15: 'tcp' in lvs_timeouts needs a number of seconds"),
        ("global_defs {\n lvs_timeouts\n}\n".to_string(), "2:2: 'lvs_timeouts' needs at least one of [tcp SECS] [tcpfin SECS] [udp SECS]"),
        ("global_defs {\n lvs_sync_daemon eth0 id 300\n}\n".to_string(), "2:26: 'id' needs a sync id (0-255), got '300'"),
        ("global_defs {\n lvs_sync_daemon eth0 VI_1 bogus 1\n}\n".to_string(), "2:28: unexpected 'bogus' in lvs_sync_daemon (expected an interface name, then [inst NAME] [id 0-255] [maxlen N] [port N] [ttl N] [group ADDR])"),
        ("track_file t {\n weight 2\n}\n".to_string(), "1:1: track_file 't' needs a 'file'"),
        ("@main virtual_server 192.0.2.1 80 {\n}\n".to_string(), "2:1: unexpected '}' (no block is open)"),
        ("$X=1\n$Y\n".to_string(), "2:1: unknown keyword '$Y' at top level ('$Y' not defined: keepalived leaves an undefined name as written)"),
        ("~LST(a,1,2) x\n".to_string(), "1:1: keepalived's '~LST' is not supported (use ~SEQ or one line per value)"),
        (format!("{VS} real_server 198.51.100.2 80 {{ }}\n}}\n{VS} real_server 198.51.100.3 80 {{ }}\n}}\n"), "5:1: virtual service TCP 192.0.2.10:80 is defined twice (first at lvs.conf:1:1)"),
        ("virtual_server_group G {\n 192.0.2.9-10 80\n}\nvirtual_server 192.0.2.10 80 {\n protocol UDP\n real_server 198.51.100.2 80 { }\n}\nvirtual_server group G {\n protocol UDP\n real_server 198.51.100.2 80 { }\n}\n".to_string(), "8:1: virtual service UDP 192.0.2.10:80 is defined twice (first at lvs.conf:4:1)"),
        ("include\n".to_string(), "1:1: 'include' needs a file name or glob pattern"),
        ("include /nonexistent/lvsmon-test.conf\n".to_string(), "1:1: include file '/nonexistent/lvsmon-test.conf' not found"),
        // vip_announce (issue 15): lvsmon's own block.
        ("vip_announce {\n interface vip0\n rule most\n}\n".into(), "3:7: 'rule' needs 'all' or 'any', got 'most'"),
        ("vip_announce {\n interface vip0\n on_stop linger\n}\n".into(), "3:10: 'on_stop' needs 'withdraw' or 'keep', got 'linger'"),
        ("vip_announce {\n interface vip0123456789abc\n}\n".into(), "2:12: 'interface' needs an interface name of 1-15 bytes without '/', ':' or spaces, got 'vip0123456789abc'"),
        ("vip_announce {\n interface vip0\n}\nvip_announce {\n interface vip1\n}\n".into(), "4:1: 'vip_announce' given twice (first at lvs.conf:1:1)"),
        ("vip_announce {\n rule any\n}\n".into(), "1:1: 'vip_announce' needs 'interface NAME' in its block"),
        ("vip_announce {\n interface vip0\n hold 3\n}\n".into(), "3:2: unknown keyword 'hold' in vip_announce (expected interface, rule or on_stop)"),
        ("vip_announce {\n interface vip0\n interface vip1\n}\n".into(), "3:2: 'interface' given twice in vip_announce"),
        ("vip_announce vip0\n".into(), "1:14: unexpected 'vip0' after 'vip_announce' (expected no value (its settings go in the { } block))"),
    ]
}

#[test]
fn errors_name_position_and_keyword() {
    let mut failed = Vec::new();
    for (i, (src, want)) in cases().into_iter().enumerate() {
        let got = match parse_str("lvs.conf", &src) {
            Ok(_) => "parsed without error".to_string(),
            Err(e) => e.to_string(),
        };
        let want = format!("lvs.conf:{}", want);
        if got != want {
            failed.push(format!(
                "case {}:\n  got  {}\n  want {}\n--- source ---\n{}",
                i, got, want, src
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
