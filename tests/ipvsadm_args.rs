//! argv -> validated command: the values sent to the kernel for lines that the fixture
//! test (which compares only printed text) cannot see.

use lvsmon::ipvs::rule::*;
use lvsmon::ipvsadm::args::{parse, Format, IpvsadmCommand, ListWhat};
use lvsmon::ipvsadm::names::Names;

fn p(line: &str) -> IpvsadmCommand {
    let mut argv = vec!["ipvsadm".to_string()];
    argv.extend(line.split(' ').map(str::to_string));
    let names = Names::from_texts("127.0.0.1 localhost\n", "http 80/tcp www\ndomain 53/udp\n");
    match parse(&argv, &names, false) {
        Ok(c) => c,
        Err(e) => panic!("{line}: {e:?}"),
    }
}

fn op(line: &str) -> Op {
    match p(line) {
        IpvsadmCommand::Apply(op) => op,
        other => panic!("{line}: {other:?}"),
    }
}

fn tcp(a: &str) -> ServiceKey {
    ServiceKey::Inet {
        proto: Protocol::Tcp,
        addr: a.parse().unwrap(),
    }
}

#[test]
fn service_operations() {
    assert_eq!(
        op("-A -t localhost:www -s sh -b sh-port -p"),
        Op::AddService(ServiceSpec {
            key: tcp("127.0.0.1:80"),
            sched: "sh".try_into().unwrap(),
            flags: svc_flags::PERSISTENT | svc_flags::SCHED_SH_PORT,
            timeout: 300,
            netmask: 0xffff_ffff,
            pe_name: None,
        })
    );
    assert_eq!(
        op("-E -f 5 -6 -M 48 -p 10 --pe sip"),
        Op::EditService(ServiceSpec {
            key: ServiceKey::Fwmark {
                family: Family::Inet6,
                mark: 5,
            },
            sched: "wlc".try_into().unwrap(),
            flags: svc_flags::PERSISTENT,
            timeout: 10,
            netmask: 48,
            pe_name: Some("sip".try_into().unwrap()),
        })
    );
    assert_eq!(
        op("-D -u 127.0.0.1:domain"),
        Op::DelService(ServiceKey::Inet {
            proto: Protocol::Udp,
            addr: "127.0.0.1:53".parse().unwrap()
        })
    );
    assert_eq!(op("-Z"), Op::Zero(None));
    assert_eq!(
        op("-Z -t 127.0.0.1:80"),
        Op::Zero(Some(tcp("127.0.0.1:80")))
    );
    assert_eq!(op("-C"), Op::Flush);
}

#[test]
fn destination_operations() {
    let k = tcp("127.0.0.1:80");
    assert_eq!(
        op("-a -t 127.0.0.1:80 -r 127.0.0.2:8080 -i --tun-type gue --tun-port 6080 --tun-remcsum -w 7 -x 100 -y 10"),
        Op::AddDest(
            k,
            DestSpec {
                // Tunnelling, like direct routing, uses the service port.
                addr: "127.0.0.2:80".parse().unwrap(),
                forward: Forward::Tunnel,
                weight: 7,
                u_threshold: 100,
                l_threshold: 10,
                tunnel: TunnelSpec {
                    kind: TunnelType::Gue,
                    port: 6080,
                    flags: 2,
                },
            }
        )
    );
    assert_eq!(
        op("-e -t 127.0.0.1:80 -r [::2]:80 -i --tun-type gre --tun-csum -w 0"),
        Op::EditDest(
            k,
            DestSpec {
                addr: "[::2]:80".parse().unwrap(),
                forward: Forward::Tunnel,
                weight: 0,
                u_threshold: 0,
                l_threshold: 0,
                tunnel: TunnelSpec {
                    kind: TunnelType::Gre,
                    port: 0,
                    flags: 1,
                },
            }
        )
    );
    // Masquerading keeps the real server's own port; without one it takes the service's.
    assert_eq!(
        op("-d -t 127.0.0.1:80 -r 127.0.0.3"),
        Op::DelDest(k, "127.0.0.3:80".parse().unwrap())
    );
}

#[test]
fn timeouts_and_daemons() {
    assert_eq!(
        op("--set 900 120 300"),
        Op::SetTimeouts(Timeouts {
            tcp: 900,
            tcpfin: 120,
            udp: 300
        })
    );
    assert_eq!(
        op("--start-daemon backup --mcast-interface eth1 --syncid 7 --sync-maxlen 1400 --mcast-group ff02::12 --mcast-port 9000 --mcast-ttl 3"),
        Op::StartDaemon(SyncDaemonSpec {
            state: SyncState::Backup,
            ifname: "eth1".try_into().unwrap(),
            syncid: 7,
            sync_maxlen: Some(1400),
            mcast_group: Some("ff02::12".parse().unwrap()),
            mcast_port: Some(9000),
            mcast_ttl: Some(3),
        })
    );
    match op("--start-daemon=master") {
        Op::StartDaemon(d) => assert_eq!((d.ifname.as_str(), d.syncid), ("eth0", 0)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        op("--stop-daemon backup"),
        Op::StopDaemon(SyncState::Backup)
    );
}

#[test]
fn listings() {
    assert_eq!(
        p("-Ln --exact --stats"),
        IpvsadmCommand::List(
            ListWhat::All,
            Format {
                numeric: true,
                exact: true,
                stats: true,
                ..Format::default()
            }
        )
    );
    assert_eq!(
        p("-L -c --persistent-conn"),
        IpvsadmCommand::List(
            ListWhat::Connections,
            Format {
                persistent_conn: true,
                ..Format::default()
            }
        )
    );
    assert_eq!(
        p("-l -t 127.0.0.1:80"),
        IpvsadmCommand::List(ListWhat::Service(tcp("127.0.0.1:80")), Format::default())
    );
    assert_eq!(
        p("-L --timeout").clone(),
        IpvsadmCommand::List(ListWhat::Timeouts, Format::default())
    );
    assert_eq!(
        p("-S -n"),
        IpvsadmCommand::Save(Format {
            numeric: true,
            rule: true,
            ..Format::default()
        })
    );
    assert_eq!(p("-R"), IpvsadmCommand::Restore);
}

/// Bad input of any shape gets an answer, never a panic: every sequence of up to three
/// words from a list of awkward ones.
#[test]
fn no_argv_panics() {
    let words = [
        "-",
        "--",
        "-=",
        "--=",
        "=",
        "",
        "-A",
        "-a",
        "-L",
        "-S",
        "-R",
        "-t",
        "-t=",
        "-n=",
        "-p",
        "-p=",
        "-6",
        "-f",
        "-M",
        "-b",
        "-nc",
        "-Lnc",
        "--tcp-service",
        "--set",
        "--start-daemon",
        "127.0.0.1:80",
        "[::1]:80",
        "[",
        "[]",
        "]:",
        "::",
        ":",
        "4294967296",
        "-1",
        "é",
        "-é",
        "--tun-type",
        "gue",
        "--tun-port",
        "-w",
        "--pe",
        ",",
        "sh-port,",
    ];
    let names = Names::default();
    let mut n = 0;
    for a in words {
        for b in words {
            for c in words {
                let argv: Vec<String> =
                    ["ipvsadm", a, b, c].iter().map(|s| s.to_string()).collect();
                let _ = parse(&argv, &names, false);
                let _ = parse(&argv[..3], &names, true);
                n += 1;
            }
        }
    }
    assert_eq!(n, words.len().pow(3));
}
