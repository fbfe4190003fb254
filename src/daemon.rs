//! `lvsmon run`: load and validate the config, set up logging, daemonise, take the pid
//! file, open the backend, and hand everything to the reactor.

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

pub fn run(opts: RunOptions) -> u8 {
    // The config is checked before anything else so that a bad one is reported on the
    // terminal that started lvsmon, even with --daemon or --syslog.
    let cfg = match crate::config::load(&opts.config) {
        Ok(cfg) => cfg,
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
    let signal_pipe = match crate::sys::process::install_signal_pipe() {
        Ok(p) => p,
        Err(e) => {
            log::error!("cannot install signal handlers: {}", e);
            return EXIT_RUNTIME;
        }
    };
    let settings = Settings {
        config_path: opts.config.clone(),
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
