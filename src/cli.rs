//! Command line: argh structs, turned into one validated `Command` before anything runs.
//! The ipvsadm and genhash personalities (argv[0] `ipvsadm`/`genhash`, or `lvsmon
//! ipvsadm …`/`lvsmon genhash …`) are recognised in main before argh sees the
//! arguments, since their options are popt- and getopt-style.

use std::net::SocketAddr;
use std::path::PathBuf;

use argh::FromArgs;

use crate::config::LoadOptions;
use crate::control::protocol::{self, Target};

pub const DEFAULT_CONFIG: &str = "/etc/lvsmon.conf";
pub const DEFAULT_CONTROL: &str = "/var/run/lvsmon.sock";

#[derive(FromArgs, Debug)]
/// lvsmon: health-checking LVS director and ipvsadm replacement.
/// Also runs as ipvsadm when invoked under that name or as `lvsmon ipvsadm ...`,
/// and as keepalived's genhash under that name or as `lvsmon genhash ...`.
pub struct Top {
    /// print the version and exit
    #[argh(switch, short = 'V')]
    pub version: bool,
    #[argh(subcommand)]
    pub command: Option<Sub>,
}

#[derive(FromArgs, Debug)]
#[argh(subcommand)]
pub enum Sub {
    Run(RunArgs),
    Check(CheckArgs),
    Status(StatusArgs),
    List(ListArgs),
    Save(SaveArgs),
    Restore(RestoreArgs),
    Reload(ReloadArgs),
    Drain(DrainArgs),
    Enable(EnableArgs),
    Weight(WeightArgs),
}

#[derive(FromArgs, Debug)]
/// Run the daemon: check real servers and keep the IPVS table in step.
#[argh(subcommand, name = "run")]
pub struct RunArgs {
    /// configuration file (default /etc/lvsmon.conf)
    #[argh(option, short = 'f')]
    pub config: Option<PathBuf>,
    /// touch no kernel state: keep an in-memory table and log each operation
    #[argh(switch)]
    pub dry_run: bool,
    /// fork into the background (for sysvinit; procd and systemd want the foreground)
    #[argh(switch)]
    pub daemon: bool,
    /// write the daemon's pid here; refuse to start if a live lvsmon holds it
    #[argh(option)]
    pub pid_file: Option<PathBuf>,
    /// append log lines to this file instead of stderr
    #[argh(option)]
    pub log_file: Option<PathBuf>,
    /// log to syslog (/dev/log, facility daemon)
    #[argh(switch)]
    pub syslog: bool,
    /// control socket path (default /var/run/lvsmon.sock)
    #[argh(option)]
    pub control: Option<PathBuf>,
    /// leave the IPVS entries in place on exit
    #[argh(switch)]
    pub keep_on_exit: bool,
    /// kernel interface: auto (default), netlink or sockopt
    #[argh(option, default = "String::from(\"auto\")")]
    pub ipvs_api: String,
    /// log every probe result
    #[argh(switch, short = 'v')]
    pub verbose: bool,
    /// instance name selecting `@NAME` config lines (keepalived's -i; default: the host
    /// name up to its first dot)
    #[argh(option, short = 'i')]
    pub instance: Option<String>,
    /// serve /metrics, /status.json and the status page on ADDR:PORT (off by default)
    #[argh(option)]
    pub http: Option<String>,
    /// log every failed check attempt, not only transitions (at most 20 lines a second)
    #[argh(switch)]
    pub log_checks: bool,
}

#[derive(FromArgs, Debug)]
/// Parse and validate a configuration; print a summary.
#[argh(subcommand, name = "check")]
pub struct CheckArgs {
    /// configuration file (default /etc/lvsmon.conf)
    #[argh(option, short = 'f')]
    pub config: Option<PathBuf>,
    /// instance name selecting `@NAME` config lines (keepalived's -i; default: the host
    /// name up to its first dot)
    #[argh(option, short = 'i')]
    pub instance: Option<String>,
    /// exit 1 if the configuration has any warning (as `keepalived -t` does)
    #[argh(switch)]
    pub strict: bool,
}

#[derive(FromArgs, Debug)]
/// Show what the running daemon knows about every service and real server.
#[argh(subcommand, name = "status")]
pub struct StatusArgs {
    /// machine-readable JSON (a stable format)
    #[argh(switch)]
    pub json: bool,
    /// the recent checks of one real server: status --history VS RS
    #[argh(switch)]
    pub history: bool,
    /// control socket path (default /var/run/lvsmon.sock)
    #[argh(option)]
    pub control: Option<PathBuf>,
    /// with --history: the virtual service (ADDR:PORT or fwmark:N) and the real server
    #[argh(positional)]
    pub target: Vec<String>,
}

#[derive(FromArgs, Debug)]
/// List the kernel table exactly as `ipvsadm -L` does with the same flags.
#[argh(subcommand, name = "list")]
pub struct ListArgs {
    /// numeric addresses and ports
    #[argh(switch, short = 'n')]
    pub numeric: bool,
    /// exact counter values
    #[argh(switch)]
    pub exact: bool,
    /// traffic counters
    #[argh(switch)]
    pub stats: bool,
    /// traffic rates
    #[argh(switch)]
    pub rate: bool,
    /// threshold columns
    #[argh(switch)]
    pub thresholds: bool,
    /// persistent connection counts
    #[argh(switch)]
    pub persistent_conn: bool,
    /// the connection table
    #[argh(switch, short = 'c')]
    pub connection: bool,
    /// the tcp, tcpfin and udp timeouts
    #[argh(switch)]
    pub timeout: bool,
    /// the connection-sync daemons
    #[argh(switch)]
    pub daemon: bool,
    /// kernel interface: auto (default), netlink or sockopt
    #[argh(option, default = "String::from(\"auto\")")]
    pub ipvs_api: String,
}

#[derive(FromArgs, Debug)]
/// Print the kernel table as rules, like `ipvsadm -S -n`.
#[argh(subcommand, name = "save")]
pub struct SaveArgs {
    /// kernel interface: auto (default), netlink or sockopt
    #[argh(option, default = "String::from(\"auto\")")]
    pub ipvs_api: String,
}

#[derive(FromArgs, Debug)]
/// Load rules in `ipvsadm -S` format from FILE (or standard input); all or nothing.
#[argh(subcommand, name = "restore")]
pub struct RestoreArgs {
    /// rules file (default: standard input)
    #[argh(positional)]
    pub file: Option<PathBuf>,
    /// kernel interface: auto (default), netlink or sockopt
    #[argh(option, default = "String::from(\"auto\")")]
    pub ipvs_api: String,
}

#[derive(FromArgs, Debug)]
/// Ask the running daemon to re-read its configuration.
#[argh(subcommand, name = "reload")]
pub struct ReloadArgs {
    /// control socket path (default /var/run/lvsmon.sock)
    #[argh(option)]
    pub control: Option<PathBuf>,
}

#[derive(FromArgs, Debug)]
/// Set a real server's weight to 0 until `enable`: connections finish, none start.
#[argh(subcommand, name = "drain")]
pub struct DrainArgs {
    /// virtual service: ADDRESS:PORT, [IPv6]:PORT or fwmark:N
    #[argh(positional)]
    pub service: String,
    /// real server: ADDRESS:PORT or [IPv6]:PORT
    #[argh(positional)]
    pub real: String,
    /// control socket path (default /var/run/lvsmon.sock)
    #[argh(option)]
    pub control: Option<PathBuf>,
}

#[derive(FromArgs, Debug)]
/// Lift a drain or weight override on a real server.
#[argh(subcommand, name = "enable")]
pub struct EnableArgs {
    /// virtual service: ADDRESS:PORT, [IPv6]:PORT or fwmark:N
    #[argh(positional)]
    pub service: String,
    /// real server: ADDRESS:PORT or [IPv6]:PORT
    #[argh(positional)]
    pub real: String,
    /// control socket path (default /var/run/lvsmon.sock)
    #[argh(option)]
    pub control: Option<PathBuf>,
}

#[derive(FromArgs, Debug)]
/// Override a real server's weight until `enable` (kept across reloads).
#[argh(subcommand, name = "weight")]
pub struct WeightArgs {
    /// virtual service: ADDRESS:PORT, [IPv6]:PORT or fwmark:N
    #[argh(positional)]
    pub service: String,
    /// real server: ADDRESS:PORT or [IPv6]:PORT
    #[argh(positional)]
    pub real: String,
    /// weight, 0..65535
    #[argh(positional)]
    pub weight: i32,
    /// control socket path (default /var/run/lvsmon.sock)
    #[argh(option)]
    pub control: Option<PathBuf>,
}

/// Which kernel interface to use (`--ipvs-api`): the backends' own enum.
pub use crate::ipvs::Api as IpvsApi;

#[derive(Debug, PartialEq, Eq)]
pub enum LogSink {
    Stderr,
    File(PathBuf),
    Syslog,
}

#[derive(Debug, PartialEq, Eq)]
pub struct RunOptions {
    pub config: PathBuf,
    pub dry_run: bool,
    pub daemon: bool,
    pub pid_file: Option<PathBuf>,
    pub log: LogSink,
    pub control: PathBuf,
    pub keep_on_exit: bool,
    pub ipvs_api: IpvsApi,
    pub verbose: bool,
    /// How the config is read (the instance name of `-i`).
    pub load: LoadOptions,
    /// `--http`: where the HTTP server listens.
    pub http: Option<SocketAddr>,
    pub log_checks: bool,
}

/// A validated command: everything main needs, nothing left to check.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Version,
    Run(RunOptions),
    Check {
        config: PathBuf,
        load: LoadOptions,
        strict: bool,
    },
    Status {
        json: bool,
        /// `--history VS RS`: that real server's recent checks instead of the table.
        history: Option<Target>,
        control: PathBuf,
    },
    /// `ipvsadm` argv equivalent to the lvsmon subcommand (list, save, restore).
    Ipvsadm {
        argv: Vec<String>,
        api: IpvsApi,
        /// restore reads this file instead of standard input
        input: Option<PathBuf>,
    },
    Control {
        request: protocol::Request,
        control: PathBuf,
    },
    /// `lvsmon restore`: all or nothing (the personality's `-R` behaves as ipvsadm's).
    Restore {
        input: Option<PathBuf>,
        api: IpvsApi,
    },
}

/// A command line that cannot run: `Display` is the message, exit code 1.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn parse_api(s: &str) -> Result<IpvsApi, UsageError> {
    s.parse().map_err(|_| {
        UsageError(format!(
            "--ipvs-api must be auto, netlink or sockopt, not '{}'",
            s
        ))
    })
}

fn control_path(p: Option<PathBuf>) -> PathBuf {
    p.unwrap_or_else(|| PathBuf::from(DEFAULT_CONTROL))
}

fn target(service: &str, real: &str) -> Result<Target, UsageError> {
    let bad = |e: protocol::RequestError| UsageError(e.to_string());
    Ok(Target {
        service: protocol::parse_service(service).map_err(bad)?,
        real: protocol::parse_real(real).map_err(bad)?,
    })
}

impl Top {
    /// Checks what argh cannot: exclusive options, enumerated values, addresses.
    pub fn validate(self) -> Result<Command, UsageError> {
        if self.version {
            return Ok(Command::Version);
        }
        let Some(sub) = self.command else {
            return Err(UsageError(
                "no command given; try `lvsmon --help`".to_string(),
            ));
        };
        Ok(match sub {
            Sub::Run(a) => {
                let log = match (a.log_file, a.syslog) {
                    (Some(_), true) => {
                        return Err(UsageError(
                            "--log-file and --syslog cannot be used together".to_string(),
                        ))
                    }
                    (Some(p), false) => LogSink::File(p),
                    (None, true) => LogSink::Syslog,
                    (None, false) => LogSink::Stderr,
                };
                Command::Run(RunOptions {
                    config: a.config.unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG)),
                    dry_run: a.dry_run,
                    daemon: a.daemon,
                    pid_file: a.pid_file,
                    log,
                    control: control_path(a.control),
                    keep_on_exit: a.keep_on_exit,
                    ipvs_api: parse_api(&a.ipvs_api)?,
                    verbose: a.verbose,
                    load: LoadOptions {
                        instance: a.instance,
                    },
                    http: match a.http {
                        Some(h) => Some(h.parse().map_err(|_| {
                            UsageError(format!(
                                "--http wants ADDRESS:PORT or [IPv6]:PORT, not '{}'",
                                h
                            ))
                        })?),
                        None => None,
                    },
                    log_checks: a.log_checks,
                })
            }
            Sub::Check(a) => Command::Check {
                config: a.config.unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG)),
                load: LoadOptions {
                    instance: a.instance,
                },
                strict: a.strict,
            },
            Sub::Status(a) => Command::Status {
                history: match (a.history, a.target.as_slice()) {
                    (false, []) => None,
                    (true, _) if a.json => return Err(UsageError(
                        "--history prints text; `status --json` holds every real server's history"
                            .to_string(),
                    )),
                    (true, [vs, rs]) => Some(target(vs, rs)?),
                    _ => {
                        return Err(UsageError(
                            "usage: lvsmon status --history VIRTUAL_SERVICE REAL_SERVER"
                                .to_string(),
                        ))
                    }
                },
                json: a.json,
                control: control_path(a.control),
            },
            Sub::List(a) => {
                if a.stats && a.rate {
                    return Err(UsageError(
                        "--stats and --rate cannot be used together".to_string(),
                    ));
                }
                let mut argv = vec!["ipvsadm".to_string(), "-L".to_string()];
                let flags = [
                    (a.numeric, "-n"),
                    (a.exact, "--exact"),
                    (a.stats, "--stats"),
                    (a.rate, "--rate"),
                    (a.thresholds, "--thresholds"),
                    (a.persistent_conn, "--persistent-conn"),
                    (a.connection, "-c"),
                    (a.timeout, "--timeout"),
                    (a.daemon, "--daemon"),
                ];
                argv.extend(flags.iter().filter(|f| f.0).map(|f| f.1.to_string()));
                Command::Ipvsadm {
                    argv,
                    api: parse_api(&a.ipvs_api)?,
                    input: None,
                }
            }
            Sub::Save(a) => Command::Ipvsadm {
                argv: vec!["ipvsadm".into(), "-S".into(), "-n".into()],
                api: parse_api(&a.ipvs_api)?,
                input: None,
            },
            Sub::Restore(a) => Command::Restore {
                input: a.file,
                api: parse_api(&a.ipvs_api)?,
            },
            Sub::Reload(a) => Command::Control {
                request: protocol::Request::Reload,
                control: control_path(a.control),
            },
            Sub::Drain(a) => Command::Control {
                request: protocol::Request::Drain(target(&a.service, &a.real)?),
                control: control_path(a.control),
            },
            Sub::Enable(a) => Command::Control {
                request: protocol::Request::Enable(target(&a.service, &a.real)?),
                control: control_path(a.control),
            },
            Sub::Weight(a) => {
                if !(0..=65535).contains(&a.weight) {
                    return Err(UsageError("weight must be 0..65535".to_string()));
                }
                Command::Control {
                    request: protocol::Request::Weight(target(&a.service, &a.real)?, a.weight),
                    control: control_path(a.control),
                }
            }
        })
    }
}

/// Outcome of reading argv: a command, or text to print and an exit code (help, errors).
pub enum Parsed {
    Command(Command),
    Exit { text: String, code: u8 },
}

/// Parses lvsmon's own argv (argv[0] first).
pub fn parse(argv: &[String]) -> Parsed {
    let name = "lvsmon";
    let args: Vec<&str> = argv.iter().skip(1).map(String::as_str).collect();
    match Top::from_args(&[name], &args) {
        Ok(top) => match top.validate() {
            Ok(cmd) => Parsed::Command(cmd),
            Err(e) => Parsed::Exit {
                text: format!("lvsmon: {}\n", e),
                code: 1,
            },
        },
        Err(early) => Parsed::Exit {
            code: if early.status.is_ok() { 0 } else { 1 },
            text: if early.output.ends_with('\n') {
                early.output
            } else {
                early.output + "\n"
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(args: &[&str]) -> Result<Command, (String, u8)> {
        let argv: Vec<String> = std::iter::once("lvsmon")
            .chain(args.iter().copied())
            .map(String::from)
            .collect();
        match parse(&argv) {
            Parsed::Command(c) => Ok(c),
            Parsed::Exit { text, code } => Err((text, code)),
        }
    }

    #[test]
    fn run_defaults_follow_the_spec() {
        let Ok(Command::Run(o)) = cmd(&["run"]) else {
            panic!("run did not parse")
        };
        assert_eq!(o.config, PathBuf::from("/etc/lvsmon.conf"));
        assert_eq!(o.control, PathBuf::from("/var/run/lvsmon.sock"));
        assert_eq!(o.log, LogSink::Stderr);
        assert_eq!(o.ipvs_api, IpvsApi::Auto);
        assert!(!o.dry_run && !o.daemon && !o.keep_on_exit);
    }

    #[test]
    fn list_maps_to_ipvsadm_flags() {
        let Ok(Command::Ipvsadm { argv, .. }) = cmd(&["list", "-n", "--stats", "-c"]) else {
            panic!()
        };
        assert_eq!(argv, ["ipvsadm", "-L", "-n", "--stats", "-c"]);
    }

    #[test]
    fn usage_errors_exit_1_with_a_message() {
        let cases: [(&[&str], &str); 5] = [
            (
                &["run", "--syslog", "--log-file", "x"],
                "lvsmon: --log-file and --syslog cannot be used together\n",
            ),
            (
                &["list", "--stats", "--rate"],
                "lvsmon: --stats and --rate cannot be used together\n",
            ),
            (
                &["run", "--ipvs-api", "ioctl"],
                "lvsmon: --ipvs-api must be auto, netlink or sockopt, not 'ioctl'\n",
            ),
            (
                &["drain", "192.0.2.1:80", "oops"],
                "lvsmon: real server must be ADDRESS:PORT or [IPv6]:PORT\n",
            ),
            (
                &["weight", "192.0.2.1:80", "198.51.100.2:80", "70000"],
                "lvsmon: weight must be 0..65535\n",
            ),
        ];
        for (args, want) in cases {
            assert_eq!(cmd(args).unwrap_err(), (want.to_string(), 1), "{:?}", args);
        }
        let (text, code) = cmd(&["frobnicate"]).unwrap_err();
        assert_eq!(code, 1);
        assert!(text.contains("frobnicate"), "{}", text);
    }

    #[test]
    fn help_exits_0() {
        let (text, code) = cmd(&["run", "--help"]).unwrap_err();
        assert_eq!(code, 0);
        assert!(text.contains("--dry-run"), "{}", text);
    }
}
