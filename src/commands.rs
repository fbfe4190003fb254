//! The short-lived subcommands: `check`, `status`, `reload`/`drain`/`enable`/`weight`
//! (control-socket requests) and everything that speaks ipvsadm (`list`, `save`,
//! `restore`, the personality). Each returns its exit code.

use std::io::Write;
use std::path::Path;

use crate::cli::IpvsApi;
use crate::control::client::{self, ClientError};
use crate::control::protocol::Request;
use crate::daemon::{EXIT_CONFIG, EXIT_OK, EXIT_RUNTIME};

/// `lvsmon check`: parse, validate, print a summary; exit 1 with FILE:LINE:COL on error.
pub fn check(path: &Path) -> u8 {
    match crate::config::load(path) {
        Ok(cfg) => {
            let mut out = std::io::stdout().lock();
            // The summary ends with the config's warnings.
            let _ = out.write_all(crate::config::summary(&cfg).as_bytes());
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
pub fn status(json: bool, socket: &Path) -> u8 {
    let request = if json {
        Request::StatusJson
    } else {
        Request::Status
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
    let mut open = || crate::daemon::open_backend(api);
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
