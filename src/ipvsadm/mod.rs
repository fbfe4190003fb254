//! ipvsadm compatibility: the `ipvsadm` personality (`run`), and the listing, save and
//! restore that lvsmon's own `list`, `save` and `restore` subcommands print through.
//! Output, error texts and exit codes are Debian ipvsadm 1.31's; names without `-n`
//! come from /etc/hosts and /etc/services only (see `names`).
//!
//! Deliberate differences from ipvsadm, all on failure paths:
//! - The backend is opened only once the command line is valid, so `-h`, `-v` and usage
//!   errors work without IPVS (ipvsadm opens the kernel interface first and fails there).
//! - `-R` validates the whole input before applying anything: a line that makes ipvsadm
//!   exit (usage error) applies nothing, where ipvsadm has applied the lines before it.
//!   Messages, their order and the exit code are ipvsadm's.
//! - Host and service names come from /etc/hosts and /etc/services only (no DNS, no
//!   NSS); popt's POSIXLY_CORRECT mode is not honoured.
//!
//! Wiring (the caller owns stdio and the backend):
//! ```text
//! let names = Names::system();
//! let (stdout, stderr, stdin) = (std::io::stdout(), std::io::stderr(), std::io::stdin());
//! let mut io = Io { out: &mut stdout.lock(), err: &mut stderr.lock(),
//!                   stdin: &mut stdin.lock(), names: &names, conn_path: CONN_PROC_FILE };
//! let code = ipvsadm::run(&argv, &mut || open_kernel_backend(), &mut io);
//! // lvsmon list -n --stats  ==  run(["lvsmon", "-L", "-n", "--stats"], ..)
//! // lvsmon save             ==  save(backend, true, &mut io)
//! // lvsmon restore FILE     ==  restore(backend, &text, &mut io)
//! ```

pub mod args;
pub mod errors;
pub mod list;
pub mod names;
pub mod restore;
pub mod rule;

use std::io::{Read, Write};

use crate::ipvs::backend::{Backend, IpvsError};
use crate::ipvs::rule::{Info, KernelTable};
use args::{Early, Format, IpvsadmCommand, ListWhat};
use names::Names;

/// Where ipvsadm reads the connection table.
pub const CONN_PROC_FILE: &str = "/proc/net/ip_vs_conn";

/// Longest `-R` input read from stdin (bytes): a bound, far above real rule files.
pub const MAX_RESTORE_INPUT: u64 = 64 << 20;

/// Everything a command reads or writes besides the IPVS table.
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// `-R` reads its rules here.
    pub stdin: &'a mut dyn Read,
    pub names: &'a Names,
    /// Path of the connection table (`CONN_PROC_FILE` outside tests).
    pub conn_path: &'a str,
}

/// Opens the backend when a command first needs it.
pub type Opener<'a> = dyn FnMut() -> Result<Box<dyn Backend>, IpvsError> + 'a;

/// The ipvsadm personality: runs one ipvsadm command line and returns ipvsadm's exit
/// code. `argv[0]` is the name printed in usage messages (ipvsadm prints its argv[0]).
/// `open` is called at most once, and only when the command needs the table.
pub fn run(argv: &[String], open: &mut Opener, io: &mut Io) -> i32 {
    let program = argv.first().map(String::as_str).unwrap_or("ipvsadm");
    let cmd = if argv.len() <= 1 {
        // ipvsadm with no arguments lists the table with names.
        IpvsadmCommand::List(ListWhat::All, Format::default())
    } else {
        match args::parse(argv, io.names, false) {
            Ok(c) => c,
            Err(e) => return early(&e, io),
        }
    };
    let mut backend = match open() {
        Ok(b) => b,
        Err(e) => {
            let _ = write!(
                io.err,
                "Can't initialize ipvs: {}\nAre you sure that IP Virtual Server is built in the kernel or as module?\n",
                errors::errno_text(e.errno)
            );
            return errors::EXIT_USAGE;
        }
    };
    if cmd == IpvsadmCommand::Restore {
        let mut input = Vec::new();
        if let Err(e) = read_limited(io.stdin, MAX_RESTORE_INPUT, &mut input) {
            let _ = writeln!(io.err, "{program}: reading rules: {e}");
            return errors::EXIT_USAGE;
        }
        let text = String::from_utf8_lossy(&input);
        return restore_as(backend.as_mut(), &text, program, io);
    }
    execute(&cmd, backend.as_mut(), io)
}

/// `r.take(limit).read_to_end(out)` without std's generic copy of it for
/// `Take<&mut dyn Read>`, for code size (-1.0 KB on mipsel).
pub(crate) fn read_limited(r: &mut dyn Read, limit: u64, out: &mut Vec<u8>) -> std::io::Result<()> {
    let mut chunk = [0u8; 8192];
    let mut left = limit;
    // Each pass reads at least a byte, ends, or retries an interrupted read (as
    // read_to_end does).
    while left > 0 {
        let want = left.min(chunk.len() as u64) as usize;
        match r.read(&mut chunk[..want]) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&chunk[..n]);
                left = left.saturating_sub(n as u64);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn early(e: &Early, io: &mut Io) -> i32 {
    let _ = io.out.write_all(e.stdout.as_bytes());
    let _ = io.err.write_all(e.stderr.as_bytes());
    e.code
}

/// Runs one validated command against `backend`.
pub fn execute(cmd: &IpvsadmCommand, backend: &mut dyn Backend, io: &mut Io) -> i32 {
    match cmd {
        IpvsadmCommand::Apply(op) => match backend.apply(op) {
            Ok(()) => 0,
            Err(e) => {
                let _ = writeln!(io.err, "{}", errors::op_error_text(op, e.errno));
                errors::EXIT_KERNEL
            }
        },
        IpvsadmCommand::List(what, fmt) => list(backend, what, fmt, io),
        IpvsadmCommand::Save(fmt) => list(backend, &ListWhat::All, fmt, io),
        // A nested -R is refused by the parser; reaching here means the caller passed
        // a Restore without input.
        IpvsadmCommand::Restore => 0,
    }
}

/// `-L` (and `-S` when `fmt.rule`) of `what`, printed to `io.out`; ipvsadm's messages
/// and exit code (1) on failure. This is what `lvsmon list` prints.
pub fn list(backend: &mut dyn Backend, what: &ListWhat, fmt: &Format, io: &mut Io) -> i32 {
    let fail = |io: &mut Io, text: &str| {
        let _ = writeln!(io.err, "{text}");
        errors::EXIT_LIST
    };
    match what {
        ListWhat::Connections => {
            let text = match read_bounded(io.conn_path) {
                Some(t) => t,
                None => return fail(io, &format!("cannot open file {CONN_PROC_FILE}")),
            };
            match list::write_conns(io.out, &text, fmt, io.names) {
                Ok(()) => 0,
                Err(list::ConnError::Empty) | Err(list::ConnError::Open) => {
                    fail(io, &format!("unexpected input from {CONN_PROC_FILE}"))
                }
                Err(list::ConnError::Io(_)) => errors::EXIT_LIST,
            }
        }
        ListWhat::Service(key) => {
            let mut table = KernelTable::default();
            if let Err(e) = backend.dump(&mut table) {
                return fail(io, errors::query_error_text(e.errno));
            }
            let Some(svc) = table.services.iter().find(|s| s.spec.key == *key) else {
                return fail(io, errors::query_error_text(libc::ESRCH));
            };
            let r = list::write_title(io.out, fmt)
                .and_then(|_| list::write_service(io.out, svc, fmt, io.names));
            if r.is_err() {
                return errors::EXIT_LIST;
            }
            0
        }
        ListWhat::Timeouts => match backend.timeouts() {
            // list_timeout() exits 1 without a message when the query fails.
            Err(_) => errors::EXIT_LIST,
            Ok(t) => match list::write_timeouts(io.out, &t) {
                Ok(()) => 0,
                Err(_) => errors::EXIT_LIST,
            },
        },
        ListWhat::Daemons => match backend.daemons() {
            Err(_) => errors::EXIT_LIST,
            Ok(d) => match list::write_daemons(io.out, &d) {
                Ok(()) => 0,
                Err(_) => errors::EXIT_LIST,
            },
        },
        ListWhat::All => {
            let info = if fmt.rule {
                Info::default()
            } else {
                match backend.info() {
                    Ok(i) => i,
                    Err(e) => return fail(io, errors::query_error_text(e.errno)),
                }
            };
            let mut table = KernelTable::default();
            if !fmt.rule && list::write_header(io.out, &info).is_err() {
                return errors::EXIT_LIST;
            }
            if let Err(e) = backend.dump(&mut table) {
                return fail(io, errors::query_error_text(e.errno));
            }
            if list::write_body(io.out, &table, fmt, io.names).is_err() {
                return errors::EXIT_LIST;
            }
            0
        }
    }
}

fn read_bounded(path: &str) -> Option<String> {
    let f = std::fs::File::open(path).ok()?;
    let mut s = String::new();
    f.take(MAX_RESTORE_INPUT).read_to_string(&mut s).ok()?;
    Some(s)
}

/// `ipvsadm -S [-n]`: the table as rules. `lvsmon save` is `save(backend, true, ..)`.
pub fn save(backend: &mut dyn Backend, numeric: bool, io: &mut Io) -> i32 {
    let fmt = Format {
        rule: true,
        numeric,
        ..Format::default()
    };
    list(backend, &ListWhat::All, &fmt, io)
}

/// `ipvsadm -R` / `lvsmon restore`: validates all of `input`, then runs its lines in
/// order. Returns ipvsadm's exit code (that of the last line, 2 or 255 when a line is
/// rejected, in which case nothing was applied).
pub fn restore(backend: &mut dyn Backend, input: &str, io: &mut Io) -> i32 {
    restore_as(backend, input, "ipvsadm", io)
}

fn restore_as(backend: &mut dyn Backend, input: &str, program: &str, io: &mut Io) -> i32 {
    let plan = match restore::plan(input, program, io.names) {
        Ok(p) => p,
        Err(rej) => {
            for e in &rej.earlier {
                let _ = io.err.write_all(e.stderr.as_bytes());
            }
            return early(&rej.error, io);
        }
    };
    let mut result = 0;
    for (_, step) in &plan.steps {
        result = match step {
            restore::Step::Skip(e) => early(e, io),
            restore::Step::Run(cmd) => {
                let r = execute(cmd, backend, io);
                // Listings that fail make ipvsadm exit at once.
                if r == errors::EXIT_LIST && !matches!(cmd, IpvsadmCommand::Apply(_)) {
                    return r;
                }
                r
            }
        };
    }
    result
}
