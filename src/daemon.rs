//! `lvsmon run`: load and validate the config, set up logging, daemonise, take the pid
//! file, open the backend, and hand everything to the reactor. Also the config half of a
//! reload (`reload_config`), which the reactor calls on SIGHUP and `lvsmon reload`.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::cli::{LogSink, RunOptions};
use crate::director::Director;
use crate::ipvs::backend::Backend;
use crate::logging::{self, Sink};
use crate::model::config::Config;
use crate::pidfile::PidFile;
use crate::reactor::{Reactor, Settings};

/// Exit codes (STYLE.md): 0 ok, 1 config/usage error, 2 runtime error.
pub const EXIT_OK: u8 = 0;
pub const EXIT_CONFIG: u8 = 1;
pub const EXIT_RUNTIME: u8 = 2;

/// How often the kernel table is compared with what lvsmon believes: the shortest
/// delay_loop of any check, so drift is noticed within one delay_loop.
pub fn drift_interval(cfg: &Config) -> Duration {
    cfg.services
        .iter()
        .flat_map(|vs| vs.reals.iter())
        .flat_map(|rs| rs.checks.iter())
        .map(|c| c.delay_loop)
        .min()
        .unwrap_or(Duration::from_secs(60))
        .max(Duration::from_secs(1))
}

/// What `reload_config` did.
#[derive(Debug)]
pub enum Reloaded {
    /// Every config file (the main one and each included one, after glob expansion) is
    /// byte-identical to the running config's: nothing was parsed or changed.
    Unchanged,
    /// The config was parsed, resolved and handed to the director (which keeps unchanged
    /// real servers and checkers as they are); the caller applies the rest of it
    /// (global settings, probe restarts, drift interval).
    Applied(Config),
}

/// The config half of a reload: reads the config at `path` and, unless its fingerprint
/// equals `*running` (the running config's; see `config::Source::fingerprint`) and
/// `force` is false, parses it and reloads `director` with it, then records the new
/// fingerprint. On an error (logged here, and returned as the text `lvsmon reload`
/// prints) nothing changes.
///
/// The short cut costs reading and tokenizing the files (to follow their includes);
/// without it a reload of an unchanged config does all the work and still makes no
/// kernel operation, because the director keeps what did not change.
pub fn reload_config(
    path: &Path,
    load: &crate::config::LoadOptions,
    running: &mut Option<u64>,
    director: &mut Director,
    now: Instant,
    force: bool,
) -> Result<Reloaded, String> {
    let refused = |e: &dyn std::fmt::Display| {
        log::error!("reload refused, keeping the running config: {}", e);
        format!("reload refused, the running config stays: {}", e)
    };
    let source = crate::config::Source::read_with(path, load).map_err(|e| refused(&e))?;
    let fingerprint = source.fingerprint();
    if !force && *running == Some(fingerprint) {
        log::info!(
            "reloaded {}: unchanged ({} file{} byte-identical to the running config), nothing to do",
            path.display(),
            source.files().len(),
            if source.files().len() == 1 { "" } else { "s" }
        );
        return Ok(Reloaded::Unchanged);
    }
    let cfg = source.resolve().map_err(|e| refused(&e))?;
    for w in &cfg.warnings {
        log::warn!("{}", w);
    }
    if let Err(e) = director.reload(&cfg, now) {
        log::error!("reload of {} refused: {}", path.display(), e);
        return Err(format!("reload of {} refused: {}", path.display(), e));
    }
    *running = Some(fingerprint);
    Ok(Reloaded::Applied(cfg))
}

pub fn run(opts: RunOptions) -> u8 {
    // Before the config and the tables are allocated, so none of them is ever huge.
    crate::sys::process::forbid_huge_pages();
    // The config is checked before anything else so that a bad one is reported on the
    // terminal that started lvsmon, even with --daemon or --syslog.
    let loaded = crate::config::Source::read_with(&opts.config, &opts.load)
        .and_then(|src| Ok((src.resolve()?, src.fingerprint())));
    let (cfg, fingerprint) = match loaded {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lvsmon: {}", e);
            return EXIT_CONFIG;
        }
    };
    let sink = match &opts.log {
        LogSink::Stderr => Sink::Stderr,
        LogSink::File(p) => Sink::File(p),
        LogSink::Syslog => Sink::Syslog,
    };
    if let Err(e) = logging::init(sink, opts.verbose) {
        eprintln!("lvsmon: cannot open the log: {}", e);
        return EXIT_RUNTIME;
    }
    for w in &cfg.warnings {
        log::warn!("{}", w);
    }
    if opts.daemon {
        if let Err(e) = crate::sys::process::daemonize() {
            log::error!("cannot become a daemon: {}", e);
            return EXIT_RUNTIME;
        }
    }
    // Signals are caught (into the self-pipe, handled once the loop runs) before the pid
    // file exists: an init script may send HUP the moment it can read the pid, and HUP's
    // default action would end the daemon.
    let signal_pipe = match crate::sys::process::install_signal_pipe() {
        Ok(p) => p,
        Err(e) => {
            log::error!("cannot install signal handlers: {}", e);
            return EXIT_RUNTIME;
        }
    };
    let _pid_file = match opts.pid_file.as_deref().map(PidFile::acquire).transpose() {
        Ok(p) => p,
        Err(e) => {
            log::error!("{}", e);
            eprintln!("lvsmon: {}", e);
            return EXIT_RUNTIME;
        }
    };
    let backend: Box<dyn Backend> = if opts.dry_run {
        Box::new(crate::ipvs::dryrun::DryRun::new())
    } else {
        // A kernel without IPVS (module not loaded yet) is not fatal: checking goes on and
        // the table is applied when IPVS appears (see ipvs::lazy).
        match crate::ipvs::lazy::Lazy::new(crate::ipvs::lazy::kernel_opener(opts.ipvs_api)) {
            Ok(b) => Box::new(b),
            Err(e) => {
                log::error!("cannot open the IPVS interface: {}", e);
                return EXIT_RUNTIME;
            }
        }
    };
    let now = Instant::now();
    let seed = now.elapsed().as_nanos() as u64 ^ u64::from(crate::sys::process::getpid());
    let director = match Director::new(&cfg, now, seed) {
        Ok(d) => d,
        Err(e) => {
            log::error!("{}", e);
            return EXIT_CONFIG;
        }
    };
    let settings = Settings {
        config_path: opts.config.clone(),
        config_load: opts.load.clone(),
        keep_on_exit: opts.keep_on_exit,
    };
    let mut reactor = match Reactor::new(
        director,
        backend,
        Some(&opts.control),
        signal_pipe,
        drift_interval(&cfg),
        settings,
    ) {
        Ok(r) => r,
        Err(e) => {
            log::error!("{}", e);
            return EXIT_RUNTIME;
        }
    };
    log::info!(
        "lvsmon {} started: {} virtual services, config {}{}",
        env!("CARGO_PKG_VERSION"),
        cfg.services.len(),
        opts.config.display(),
        if opts.dry_run { ", dry run" } else { "" }
    );
    reactor.set_globals(crate::globals::Globals::from_config(&cfg));
    reactor.set_config_fingerprint(fingerprint);
    drop(cfg);
    reactor.start();
    match reactor.run() {
        Ok(_) => {
            log::info!("lvsmon stopped");
            EXIT_OK
        }
        Err(e) => {
            log::error!("event loop failed: {}", e);
            EXIT_RUNTIME
        }
    }
}
