//! The short-lived subcommands: `check`, `status`, `reload`/`drain`/`enable`/`weight`
//! (control-socket requests) and everything that speaks ipvsadm (`list`, `save`,
//! `restore`, the personality). Each returns its exit code.

use std::io::Write;
use std::path::Path;

use crate::cli::IpvsApi;
use crate::control::client::{self, ClientError};
use crate::control::protocol::{Request, Target};
use crate::daemon::{EXIT_CONFIG, EXIT_OK, EXIT_RUNTIME};
use crate::ipvs::backend::{Backend, IpvsError};
use crate::ipvs::rule::{KernelTable, Op};

/// `lvsmon check`: parse, validate, print a summary; exit 1 with FILE:LINE:COL on error,
/// and with `strict` also when there is any warning (as `keepalived -t` exits non-zero
/// on any complaint).
pub fn check(path: &Path, load: &crate::config::LoadOptions, strict: bool) -> u8 {
    match crate::config::load_with(path, load) {
        Ok(cfg) => {
            // Capacities that only show once identical checks are merged (MAX_CHECKERS)
            // are the director's to count: build it as `run` would.
            if let Err(e) = crate::director::Director::new(&cfg, std::time::Instant::now(), 0) {
                eprintln!("{}: {}", path.display(), e);
                return EXIT_CONFIG;
            }
            let mut out = std::io::stdout().lock();
            // The summary ends with the config's warnings.
            let _ = out.write_all(crate::config::summary(&cfg).as_bytes());
            if strict && !cfg.warnings.is_empty() {
                let n = cfg.warnings.len();
                eprintln!(
                    "{}: {} warning{} with --strict",
                    path.display(),
                    n,
                    if n == 1 { "" } else { "s" }
                );
                return EXIT_CONFIG;
            }
            EXIT_OK
        }
        Err(e) => {
            eprintln!("{}", e);
            EXIT_CONFIG
        }
    }
}

fn client_exit(e: &ClientError) -> u8 {
    match e {
        ClientError::Refused(_) => EXIT_CONFIG,
        _ => EXIT_RUNTIME,
    }
}

/// `lvsmon status [--json]`.
pub fn status(json: bool, history: Option<Target>, socket: &Path) -> u8 {
    let request = match (history, json) {
        (Some(t), _) => Request::History(t),
        (None, true) => Request::StatusJson,
        (None, false) => Request::Status,
    };
    control(&request, socket)
}

/// Sends one request to the daemon and prints its reply.
pub fn control(request: &Request, socket: &Path) -> u8 {
    match client::call(socket, request) {
        Ok(body) => {
            let _ = std::io::stdout().write_all(body.as_bytes());
            EXIT_OK
        }
        Err(e) => {
            eprintln!("lvsmon: {}", e);
            client_exit(&e)
        }
    }
}

/// The ipvsadm personality (and `list`/`save`/`restore`, which are spelled through it).
/// `input` replaces standard input for `-R`.
pub fn ipvsadm(argv: &[String], api: IpvsApi, input: Option<&Path>) -> u8 {
    let mut open = || crate::ipvs::open(api);
    let names = crate::ipvsadm::names::Names::system();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let mut file;
    let mut stdin_lock;
    let stdin: &mut dyn std::io::Read = match input {
        Some(path) => match std::fs::File::open(path) {
            Ok(f) => {
                file = f;
                &mut file
            }
            Err(e) => {
                let _ = writeln!(err, "lvsmon: cannot read {}: {}", path.display(), e);
                return EXIT_CONFIG;
            }
        },
        None => {
            stdin_lock = std::io::stdin().lock();
            &mut stdin_lock
        }
    };
    let mut io = crate::ipvsadm::Io {
        out: &mut out,
        err: &mut err,
        stdin,
        names: &names,
        conn_path: crate::ipvsadm::CONN_PROC_FILE,
    };
    let code = crate::ipvsadm::run(argv, &mut open, &mut io);
    let _ = out.flush();
    code.clamp(0, 255) as u8
}

/// `lvsmon restore [FILE]`: rules in `ipvsadm -S` format, all or nothing. Every line is
/// parsed and validated before anything is sent; a line the kernel refuses makes lvsmon
/// put the table back as it was before the first operation. Exit 1 for bad input, 2 when
/// the kernel refused (or the table could not be read).
pub fn restore(input: Option<&Path>, api: IpvsApi) -> u8 {
    let text = match read_input(input) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("lvsmon: restore: {}", e);
            return EXIT_CONFIG;
        }
    };
    let ops = match plan_restore(&text) {
        Ok(ops) => ops,
        Err(why) => {
            eprintln!("lvsmon: restore: {}; nothing was applied", why);
            return EXIT_CONFIG;
        }
    };
    let mut backend = match crate::ipvs::open(api) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("lvsmon: restore: cannot open IPVS: {}", e);
            return EXIT_RUNTIME;
        }
    };
    apply_restore(backend.as_mut(), &ops, &mut std::io::stderr())
}

fn read_input(input: Option<&Path>) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let limit = crate::ipvsadm::MAX_RESTORE_INPUT;
    // Both read through `dyn Read` by ipvsadm's read_limited, for code size: no copy of
    // std's read_to_end for `Take<&mut dyn Read>` (-1.2 KB on mipsel).
    let mut file;
    let mut stdin;
    let reader: &mut dyn Read = match input {
        Some(path) => {
            file = std::fs::File::open(path)?;
            &mut file
        }
        None => {
            stdin = std::io::stdin().lock();
            &mut stdin
        }
    };
    crate::ipvsadm::read_limited(reader, limit, &mut bytes)?;
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "input is not text"))
}

/// Validates every line; returns the operations with their line numbers, or the first
/// problem named by its line.
pub fn plan_restore(text: &str) -> Result<Vec<(usize, Op)>, String> {
    use crate::ipvsadm::args::IpvsadmCommand;
    use crate::ipvsadm::restore::{plan, Step};
    let names = crate::ipvsadm::names::Names::system();
    let first_line = |s: &str| s.lines().next().unwrap_or("").to_string();
    let plan = plan(text, "lvsmon restore", &names)
        .map_err(|r| format!("line {}: {}", r.line, first_line(&r.error.stderr)))?;
    let mut ops = Vec::with_capacity(plan.steps.len());
    for (line, step) in plan.steps {
        match step {
            Step::Run(IpvsadmCommand::Apply(op)) => ops.push((line, op)),
            Step::Run(_) => {
                return Err(format!(
                    "line {}: only table operations belong in a rules file",
                    line
                ))
            }
            Step::Skip(e) => return Err(format!("line {}: {}", line, first_line(&e.stderr))),
        }
    }
    Ok(ops)
}

/// Applies `ops` in order; on the first refusal, puts the table back as it was.
pub fn apply_restore(backend: &mut dyn Backend, ops: &[(usize, Op)], err: &mut dyn Write) -> u8 {
    let mut snapshot = KernelTable::default();
    if let Err(e) = backend.dump(&mut snapshot) {
        let _ = writeln!(err, "lvsmon: restore: cannot read the table: {}", e);
        return EXIT_RUNTIME;
    }
    let only_ops: Vec<Op> = ops.iter().map(|(_, op)| op.clone()).collect();
    let mut first_failure: Option<(usize, IpvsError)> = None;
    backend.apply_all(&only_ops, &mut |i, e| {
        if first_failure.is_none() {
            first_failure = Some((i, e));
        }
    });
    let Some((i, e)) = first_failure else {
        return EXIT_OK;
    };
    let _ = writeln!(err, "lvsmon: restore: line {}: {}", ops[i].0, e);
    let mut now = KernelTable::default();
    let undo = match backend.dump(&mut now) {
        Ok(()) => crate::ipvs::snapshot::ops_to_restore(&now, &snapshot),
        Err(e) => {
            let _ = writeln!(err, "lvsmon: restore: cannot read the table to undo: {}", e);
            return EXIT_RUNTIME;
        }
    };
    let mut undo_failed = false;
    backend.apply_all(&undo, &mut |_, e| {
        undo_failed = true;
        let _ = writeln!(err, "lvsmon: restore: undo: {}", e);
    });
    if !undo_failed {
        let _ = writeln!(
            err,
            "lvsmon: restore: nothing was applied (the table is as it was)"
        );
    }
    EXIT_RUNTIME
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::dryrun::DryRun;

    #[test]
    fn a_refused_line_puts_the_table_back() {
        let mut b = DryRun::new();
        let base = plan_restore(
            "-A -t 192.0.2.10:80 -s rr\n-a -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 1\n",
        )
        .unwrap();
        assert_eq!(apply_restore(&mut b, &base, &mut Vec::new()), EXIT_OK);
        let mut before = KernelTable::default();
        b.dump(&mut before).unwrap();
        // Line 3 adds a service that exists: the kernel (here the dry-run table) says EEXIST.
        let input = "-A -t 192.0.2.11:80 -s wrr\n-a -t 192.0.2.11:80 -r 198.51.100.3:80 -m -w 2\n-A -t 192.0.2.10:80 -s rr\n-e -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 7\n";
        let ops = plan_restore(input).unwrap();
        let mut err = Vec::new();
        assert_eq!(apply_restore(&mut b, &ops, &mut err), EXIT_RUNTIME);
        let err = String::from_utf8(err).unwrap();
        assert_eq!(
            err,
            "lvsmon: restore: line 3: -A -t 192.0.2.10:80 -s rr: Service already exists\n\
             lvsmon: restore: nothing was applied (the table is as it was)\n"
        );
        let mut after = KernelTable::default();
        b.dump(&mut after).unwrap();
        assert_eq!(after, before);
    }

    #[test]
    fn bad_lines_are_named_before_anything_is_sent() {
        assert_eq!(
            plan_restore("-A -t 192.0.2.12:80 -s rr\n-a -t 192.0.2.12:80 -r 198.51.100.2:80 -m\n-A -t 192.0.2.13:80 -s rr --bogus\n"),
            Err("line 3: --bogus: unknown option".to_string())
        );
        assert_eq!(
            plan_restore("-A -t 192.0.2.12:80 -s rr\n-L -n\n"),
            Err("line 2: only table operations belong in a rules file".to_string())
        );
    }
}
