//! Command line: one table of subcommands and their options (`TOP`, `SUBS`), read by one
//! parser and described by one help writer, then turned into one validated `Command`
//! before anything runs.
//!
//! The parser keeps argh's behaviour (lvsmon used argh before; tests/cli_usage.rs holds
//! its help texts and messages byte for byte): `--help` or `help` anywhere before `--`
//! asks for help, an option's value is the next argument whatever it looks like, there
//! is no `--opt=value` and no bundling of short options, help goes to stdout with exit
//! 0 and errors to stderr with exit 1.
//!
//! The ipvsadm and genhash personalities (argv[0] `ipvsadm`/`genhash`, or `lvsmon
//! ipvsadm …`/`lvsmon genhash …`) are recognised in main before this parser sees the
//! arguments, since their options are popt- and getopt-style.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::config::LoadOptions;
use crate::control::protocol::{self, Target};

pub const DEFAULT_CONFIG: &str = "/etc/lvsmon.conf";
pub const DEFAULT_CONTROL: &str = "/var/run/lvsmon.sock";

/// What an option sets: its slot in `Args::vals`. Options of different subcommands may
/// share a key when they mean the same thing (`--control`, `--ipvs-api`, ...).
#[derive(Clone, Copy)]
enum Key {
    Version,
    Config,
    DryRun,
    Daemon,
    PidFile,
    LogFile,
    Syslog,
    Control,
    KeepOnExit,
    IpvsApi,
    Verbose,
    Instance,
    Http,
    LogChecks,
    Strict,
    Json,
    History,
    Numeric,
    Exact,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    Connection,
    Timeout,
}
const KEYS: usize = Key::Timeout as usize + 1;

/// One option: `long` and `short` as typed (`short` empty if none); `value`: it takes
/// the next argument as its value, else it is a switch.
struct Opt {
    key: Key,
    long: &'static str,
    short: &'static str,
    value: bool,
    help: &'static str,
}

const fn switch(key: Key, long: &'static str, short: &'static str, help: &'static str) -> Opt {
    Opt {
        key,
        long,
        short,
        value: false,
        help,
    }
}

const fn option(key: Key, long: &'static str, short: &'static str, help: &'static str) -> Opt {
    Opt {
        key,
        long,
        short,
        value: true,
        help,
    }
}

/// A positional argument; `number`: it must parse as an i32 (checked as it is read).
struct Pos {
    name: &'static str,
    help: &'static str,
    number: bool,
}

const fn pos(name: &'static str, help: &'static str) -> Pos {
    Pos {
        name,
        help,
        number: false,
    }
}

#[derive(Clone, Copy)]
enum Sub {
    Run,
    Check,
    Status,
    List,
    Save,
    Restore,
    Reload,
    Drain,
    Enable,
    Weight,
}

/// A command (`sub` None: the top level): its options, then its positionals, of which the first `required` must be
/// given; `repeat`: the last one takes any number of arguments.
struct Spec {
    sub: Option<Sub>,
    name: &'static str,
    about: &'static str,
    opts: &'static [Opt],
    pos: &'static [Pos],
    required: usize,
    repeat: bool,
}

const CONFIG: Opt = option(
    Key::Config,
    "--config",
    "-f",
    "configuration file (default /etc/lvsmon.conf)",
);
const INSTANCE: Opt = option(
    Key::Instance,
    "--instance",
    "-i",
    "instance name selecting `@NAME` config lines (keepalived's -i; default: the host \
     name up to its first dot)",
);
const CONTROL: Opt = option(
    Key::Control,
    "--control",
    "",
    "control socket path (default /var/run/lvsmon.sock)",
);
const IPVS_API: Opt = option(
    Key::IpvsApi,
    "--ipvs-api",
    "",
    "kernel interface: auto (default), netlink or sockopt",
);
const CONTROL_ONLY: &[Opt] = &[CONTROL];
const SERVICE: Pos = pos(
    "service",
    "virtual service: ADDRESS:PORT, [IPv6]:PORT or fwmark:N",
);
const REAL: Pos = pos("real", "real server: ADDRESS:PORT or [IPv6]:PORT");

/// The top level: `-V` and a subcommand (`sub` None).
static TOP: Spec = Spec {
    sub: None,
    name: "",
    about: "lvsmon: health-checking LVS director and ipvsadm replacement. Also runs as \
            ipvsadm when invoked under that name or as `lvsmon ipvsadm ...`, and as \
            keepalived's genhash under that name or as `lvsmon genhash ...`.",
    opts: &[switch(
        Key::Version,
        "--version",
        "-V",
        "print the version and exit",
    )],
    pos: &[],
    required: 0,
    repeat: false,
};

static SUBS: [Spec; 10] = [
    Spec {
        sub: Some(Sub::Run),
        name: "run",
        about: "Run the daemon: check real servers and keep the IPVS table in step.",
        opts: &[
            CONFIG,
            switch(
                Key::DryRun,
                "--dry-run",
                "",
                "touch no kernel state: keep an in-memory table and log each operation",
            ),
            switch(
                Key::Daemon,
                "--daemon",
                "",
                "fork into the background (for sysvinit; procd and systemd want the \
                 foreground)",
            ),
            option(
                Key::PidFile,
                "--pid-file",
                "",
                "write the daemon's pid here; refuse to start if a live lvsmon holds it",
            ),
            option(
                Key::LogFile,
                "--log-file",
                "",
                "append log lines to this file instead of stderr",
            ),
            switch(
                Key::Syslog,
                "--syslog",
                "",
                "log to syslog (/dev/log, facility daemon)",
            ),
            CONTROL,
            switch(
                Key::KeepOnExit,
                "--keep-on-exit",
                "",
                "leave the IPVS entries in place on exit",
            ),
            IPVS_API,
            switch(Key::Verbose, "--verbose", "-v", "log every probe result"),
            INSTANCE,
            option(
                Key::Http,
                "--http",
                "",
                "serve /metrics, /status.json and the status page on ADDR:PORT (off by \
                 default)",
            ),
            switch(
                Key::LogChecks,
                "--log-checks",
                "",
                "log every failed check attempt, not only transitions (at most 20 lines a \
                 second)",
            ),
        ],
        pos: &[],
        required: 0,
        repeat: false,
    },
    Spec {
        sub: Some(Sub::Check),
        name: "check",
        about: "Parse and validate a configuration; print a summary.",
        opts: &[
            CONFIG,
            INSTANCE,
            switch(
                Key::Strict,
                "--strict",
                "",
                "exit 1 if the configuration has any warning (as `keepalived -t` does)",
            ),
        ],
        pos: &[],
        required: 0,
        repeat: false,
    },
    Spec {
        sub: Some(Sub::Status),
        name: "status",
        about: "Show what the running daemon knows about every service and real server.",
        opts: &[
            switch(
                Key::Json,
                "--json",
                "",
                "machine-readable JSON (a stable format)",
            ),
            switch(
                Key::History,
                "--history",
                "",
                "the recent checks of one real server: status --history VS RS",
            ),
            CONTROL,
        ],
        pos: &[pos(
            "target",
            "with --history: the virtual service (ADDR:PORT or fwmark:N) and the real \
             server",
        )],
        required: 0,
        repeat: true,
    },
    Spec {
        sub: Some(Sub::List),
        name: "list",
        about: "List the kernel table exactly as `ipvsadm -L` does with the same flags.",
        // The switches are ipvsadm's, which `list` passes on as written here (short
        // form if any).
        opts: &[
            switch(
                Key::Numeric,
                "--numeric",
                "-n",
                "numeric addresses and ports",
            ),
            switch(Key::Exact, "--exact", "", "exact counter values"),
            switch(Key::Stats, "--stats", "", "traffic counters"),
            switch(Key::Rate, "--rate", "", "traffic rates"),
            switch(Key::Thresholds, "--thresholds", "", "threshold columns"),
            switch(
                Key::PersistentConn,
                "--persistent-conn",
                "",
                "persistent connection counts",
            ),
            switch(
                Key::Connection,
                "--connection",
                "-c",
                "the connection table",
            ),
            switch(
                Key::Timeout,
                "--timeout",
                "",
                "the tcp, tcpfin and udp timeouts",
            ),
            switch(Key::Daemon, "--daemon", "", "the connection-sync daemons"),
            IPVS_API,
        ],
        pos: &[],
        required: 0,
        repeat: false,
    },
    Spec {
        sub: Some(Sub::Save),
        name: "save",
        about: "Print the kernel table as rules, like `ipvsadm -S -n`.",
        opts: &[IPVS_API],
        pos: &[],
        required: 0,
        repeat: false,
    },
    Spec {
        sub: Some(Sub::Restore),
        name: "restore",
        about: "Load rules in `ipvsadm -S` format from FILE (or standard input); all or \
                nothing.",
        opts: &[IPVS_API],
        pos: &[pos("file", "rules file (default: standard input)")],
        required: 0,
        repeat: false,
    },
    Spec {
        sub: Some(Sub::Reload),
        name: "reload",
        about: "Ask the running daemon to re-read its configuration.",
        opts: CONTROL_ONLY,
        pos: &[],
        required: 0,
        repeat: false,
    },
    Spec {
        sub: Some(Sub::Drain),
        name: "drain",
        about: "Set a real server's weight to 0 until `enable`: connections finish, none \
                start.",
        opts: CONTROL_ONLY,
        pos: &[SERVICE, REAL],
        required: 2,
        repeat: false,
    },
    Spec {
        sub: Some(Sub::Enable),
        name: "enable",
        about: "Lift a drain or weight override on a real server.",
        opts: CONTROL_ONLY,
        pos: &[SERVICE, REAL],
        required: 2,
        repeat: false,
    },
    Spec {
        sub: Some(Sub::Weight),
        name: "weight",
        about: "Override a real server's weight until `enable` (kept across reloads).",
        opts: CONTROL_ONLY,
        pos: &[
            SERVICE,
            REAL,
            Pos {
                name: "weight",
                help: "weight, 0..65535",
                number: true,
            },
        ],
        required: 3,
        repeat: false,
    },
];

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
    /// Boxed for code size: each move of a `Command` copied all of `RunOptions` (0.7 KB
    /// on mipsel).
    Run(Box<RunOptions>),
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

fn target(service: &str, real: &str) -> Result<Target, UsageError> {
    let bad = |e: protocol::RequestError| UsageError(e.to_string());
    Ok(Target {
        service: protocol::parse_service(service).map_err(bad)?,
        real: protocol::parse_real(real).map_err(bad)?,
    })
}

/// Outcome of reading argv: a command, or text to print and an exit code (help, errors).
pub enum Parsed {
    Command(Command),
    Exit { text: String, code: u8 },
}

// Out of line for code size: inlined, each refusal built its `Parsed` (0.3 KB on mipsel).
#[inline(never)]
fn refuse(text: String) -> Parsed {
    Parsed::Exit { text, code: 1 }
}

/// The arguments as read, before validation.
struct Args<'a> {
    /// The command being read: `TOP`, then the subcommand once named.
    spec: &'static Spec,
    /// By `Key`: an option's value, `Some("")` for a switch given.
    vals: [Option<&'a str>; KEYS],
    pos: Vec<&'a str>,
    /// The positional marked `number`, parsed.
    number: i32,
}

impl<'a> Args<'a> {
    fn on(&self, key: Key) -> bool {
        self.vals[key as usize].is_some()
    }

    fn path(&self, key: Key) -> Option<PathBuf> {
        self.vals[key as usize].map(PathBuf::from)
    }

    fn or(&self, key: Key, default: &str) -> PathBuf {
        PathBuf::from(self.vals[key as usize].unwrap_or(default))
    }

    fn control(&self) -> PathBuf {
        self.or(Key::Control, DEFAULT_CONTROL)
    }

    fn api(&self) -> Result<IpvsApi, UsageError> {
        let s = self.vals[Key::IpvsApi as usize].unwrap_or("auto");
        s.parse().map_err(|_| {
            UsageError(format!(
                "--ipvs-api must be auto, netlink or sockopt, not '{}'",
                s
            ))
        })
    }

    /// Reads `args` as the arguments of `spec`; `help`: help was asked for before them.
    /// At the top level, the first subcommand name hands the rest to that subcommand.
    fn read(
        &mut self,
        spec: &'static Spec,
        mut help: bool,
        args: &'a [String],
    ) -> Result<(), Parsed> {
        let mut ended = false;
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let arg = arg.as_str();
            if !ended && (arg == "--help" || arg == "help") {
                help = true;
                continue;
            }
            if !ended && arg.starts_with('-') {
                if arg == "--" {
                    ended = true;
                    continue;
                }
                if help {
                    return Err(refuse(
                        "Trailing arguments are not allowed after `help`.\n".to_string(),
                    ));
                }
                let Some(o) = spec.opts.iter().find(|o| arg == o.long || arg == o.short) else {
                    return Err(unrecognized(arg));
                };
                let slot = &mut self.vals[o.key as usize];
                if !o.value {
                    *slot = Some("");
                    continue;
                }
                let Some(value) = rest.next() else {
                    return Err(refuse(format!("No value provided for option '{}'.\n", arg)));
                };
                if slot.is_some() {
                    return Err(refuse(format!(
                        "Error parsing option '{}' with value '{}': duplicate values provided\n",
                        arg, value
                    )));
                }
                *slot = Some(value);
                continue;
            }
            if spec.sub.is_none() {
                if let Some(sub) = SUBS.iter().find(|s| s.name == arg) {
                    self.spec = sub;
                    return self.read(sub, help, rest.as_slice());
                }
            }
            let i = self.pos.len();
            if i >= spec.pos.len() && !spec.repeat {
                return Err(unrecognized(arg));
            }
            if let Some(p) = spec.pos.get(i).filter(|p| p.number) {
                self.number = arg.parse().map_err(|e| {
                    refuse(format!(
                        "Error parsing positional argument '{}' with value '{}': {}\n",
                        p.name, arg, e
                    ))
                })?;
            }
            self.pos.push(arg);
        }
        if help {
            return Err(Parsed::Exit {
                text: help_text(spec),
                code: 0,
            });
        }
        if let Some(missing) = spec.pos.get(self.pos.len()..spec.required) {
            if !missing.is_empty() {
                let mut text = String::from("Required positional arguments not provided:");
                for p in missing {
                    text.push_str("\n    ");
                    text.push_str(p.name);
                }
                text.push('\n');
                return Err(refuse(text));
            }
        }
        Ok(())
    }

    /// Checks what the reading cannot: exclusive options, enumerated values, addresses.
    fn validate(self) -> Result<Command, UsageError> {
        if self.on(Key::Version) {
            return Ok(Command::Version);
        }
        let Some(sub) = self.spec.sub else {
            return Err(UsageError(
                "no command given; try `lvsmon --help`".to_string(),
            ));
        };
        let pos = &self.pos;
        Ok(match sub {
            Sub::Run => {
                let log = match (self.path(Key::LogFile), self.on(Key::Syslog)) {
                    (Some(_), true) => {
                        return Err(UsageError(
                            "--log-file and --syslog cannot be used together".to_string(),
                        ))
                    }
                    (Some(p), false) => LogSink::File(p),
                    (None, true) => LogSink::Syslog,
                    (None, false) => LogSink::Stderr,
                };
                Command::Run(Box::new(RunOptions {
                    config: self.or(Key::Config, DEFAULT_CONFIG),
                    dry_run: self.on(Key::DryRun),
                    daemon: self.on(Key::Daemon),
                    pid_file: self.path(Key::PidFile),
                    log,
                    control: self.control(),
                    keep_on_exit: self.on(Key::KeepOnExit),
                    ipvs_api: self.api()?,
                    verbose: self.on(Key::Verbose),
                    load: self.load(),
                    http: match self.vals[Key::Http as usize] {
                        Some(h) => Some(h.parse().map_err(|_| {
                            UsageError(format!(
                                "--http wants ADDRESS:PORT or [IPv6]:PORT, not '{}'",
                                h
                            ))
                        })?),
                        None => None,
                    },
                    log_checks: self.on(Key::LogChecks),
                }))
            }
            Sub::Check => Command::Check {
                config: self.or(Key::Config, DEFAULT_CONFIG),
                load: self.load(),
                strict: self.on(Key::Strict),
            },
            Sub::Status => Command::Status {
                history: match (self.on(Key::History), pos.as_slice()) {
                    (false, []) => None,
                    (true, _) if self.on(Key::Json) => return Err(UsageError(
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
                json: self.on(Key::Json),
                control: self.control(),
            },
            Sub::List => {
                if self.on(Key::Stats) && self.on(Key::Rate) {
                    return Err(UsageError(
                        "--stats and --rate cannot be used together".to_string(),
                    ));
                }
                let mut argv = vec!["ipvsadm".to_string(), "-L".to_string()];
                for o in self.spec.opts {
                    if !o.value && self.on(o.key) {
                        let flag = if o.short.is_empty() { o.long } else { o.short };
                        argv.push(flag.to_string());
                    }
                }
                Command::Ipvsadm {
                    argv,
                    api: self.api()?,
                    input: None,
                }
            }
            Sub::Save => Command::Ipvsadm {
                argv: vec!["ipvsadm".into(), "-S".into(), "-n".into()],
                api: self.api()?,
                input: None,
            },
            Sub::Restore => Command::Restore {
                input: pos.first().map(PathBuf::from),
                api: self.api()?,
            },
            Sub::Reload => Command::Control {
                request: protocol::Request::Reload,
                control: self.control(),
            },
            // One arm for the three, for code size: one `target` call and its error path.
            Sub::Drain | Sub::Enable | Sub::Weight => {
                if matches!(sub, Sub::Weight) && !(0..=65535).contains(&self.number) {
                    return Err(UsageError("weight must be 0..65535".to_string()));
                }
                let t = target(pos[0], pos[1])?;
                Command::Control {
                    request: match sub {
                        Sub::Drain => protocol::Request::Drain(t),
                        Sub::Enable => protocol::Request::Enable(t),
                        _ => protocol::Request::Weight(t, self.number),
                    },
                    control: self.control(),
                }
            }
        })
    }

    fn load(&self) -> LoadOptions {
        LoadOptions {
            instance: self.vals[Key::Instance as usize].map(String::from),
        }
    }
}

fn unrecognized(arg: &str) -> Parsed {
    refuse(format!("Unrecognized argument: {}\n", arg))
}

/// The help of `spec`, in argh's layout: usage line, description, then the positionals,
/// options and (top level) subcommands, each with its text in a column at 20 wrapped at
/// 80.
fn help_text(spec: &Spec) -> String {
    let mut s = String::from("Usage: lvsmon");
    if spec.sub.is_some() {
        s.push(' ');
        s.push_str(spec.name);
    }
    for o in spec.opts {
        s.push_str(" [");
        s.push_str(if o.short.is_empty() { o.long } else { o.short });
        if o.value {
            s.push_str(" <");
            s.push_str(&o.long[2..]);
            s.push('>');
        }
        s.push(']');
    }
    if !spec.pos.is_empty() {
        s.push_str(" [--]");
    }
    for (i, p) in spec.pos.iter().enumerate() {
        let optional = i >= spec.required;
        s.push_str(if optional { " [<" } else { " <" });
        s.push_str(p.name);
        if spec.repeat && i + 1 == spec.pos.len() {
            s.push_str("...");
        }
        s.push_str(if optional { ">]" } else { ">" });
    }
    if spec.sub.is_none() {
        s.push_str(" [<command>] [<args>]");
    }
    s.push_str("\n\n");
    s.push_str(spec.about);
    if !spec.pos.is_empty() {
        s.push_str("\n\nPositional Arguments:");
        for p in spec.pos {
            entry(&mut s, "", p.name, p.help);
        }
    }
    s.push_str("\n\nOptions:");
    for o in spec.opts {
        entry(&mut s, o.short, o.long, o.help);
    }
    entry(&mut s, "", "--help, help", "display usage information");
    if spec.sub.is_none() {
        s.push_str("\n\nCommands:");
        for sub in &SUBS {
            entry(&mut s, "", sub.name, sub.about);
        }
    }
    s.push('\n');
    s
}

/// One line of a help section, `  -s, --long` or `  name`, then `text` from column 20
/// (on a line of its own if the name reaches it), wrapped at 80 columns. The table's
/// texts are ASCII, so bytes are columns.
fn entry(s: &mut String, short: &str, name: &str, text: &str) {
    const COLUMN: usize = 20;
    const WIDTH: usize = 80;
    s.push_str("\n  ");
    let mut start = s.len() - 2;
    if !short.is_empty() {
        s.push_str(short);
        s.push_str(", ");
    }
    s.push_str(name);
    if s.len() - start >= COLUMN {
        s.push('\n');
        start = s.len();
    }
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            if s.len() - start + 1 + word.len() <= WIDTH {
                s.push(' ');
                s.push_str(word);
                continue;
            }
            s.push('\n');
            start = s.len();
        }
        while s.len() - start < COLUMN {
            s.push(' ');
        }
        s.push_str(word);
    }
}

/// Parses lvsmon's own argv (argv[0] first).
pub fn parse(argv: &[String]) -> Parsed {
    let mut args = Args {
        spec: &TOP,
        vals: [None; KEYS],
        pos: Vec::new(),
        number: 0,
    };
    if let Err(exit) = args.read(&TOP, false, argv.get(1..).unwrap_or_default()) {
        return exit;
    }
    match args.validate() {
        Ok(cmd) => Parsed::Command(cmd),
        Err(e) => refuse(format!("lvsmon: {}\n", e)),
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
    fn the_table_is_what_the_parser_and_help_expect() {
        for spec in std::iter::once(&TOP).chain(&SUBS) {
            assert!(spec.about.is_ascii(), "{}", spec.name);
            assert!(spec.required <= spec.pos.len(), "{}", spec.name);
            for o in spec.opts {
                assert!(o.long.starts_with("--") && o.help.is_ascii(), "{}", o.long);
                assert!(o.short.is_empty() || o.short.len() == 2, "{}", o.long);
            }
            for p in spec.pos {
                assert!(p.help.is_ascii(), "{}", p.name);
            }
        }
    }

    #[test]
    fn help_exits_0() {
        let (text, code) = cmd(&["run", "--help"]).unwrap_err();
        assert_eq!(code, 0);
        assert!(text.contains("--dry-run"), "{}", text);
    }
}
