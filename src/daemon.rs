//! `lvsmon run`: load and validate the config, set up logging, daemonise, take the pid
//! file, open the backend, and hand everything to the reactor. The top layer: it uses
//! the reactor, nothing below uses it.

use std::time::Instant;

use crate::announce::iface::VipIface;
use crate::cli::{LogSink, RunOptions};
use crate::director::Director;
use crate::ipvs::backend::Backend;
use crate::logging::{self, Sink};
use crate::pidfile::PidFile;
use crate::reactor::{Reactor, Settings};
use crate::reload::drift_interval;

/// Exit codes (STYLE.md): 0 ok, 1 config/usage error, 2 runtime error.
pub const EXIT_OK: u8 = 0;
pub const EXIT_CONFIG: u8 = 1;
pub const EXIT_RUNTIME: u8 = 2;

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
        warn!("{}", w);
    }
    for n in &cfg.notes {
        info!("{}", n);
    }
    // The announce interface is checked (and created if missing) before anything else
    // changes: one that exists and is not a dummy is a config error at its position.
    let vip_opener: fn() -> Option<Box<dyn VipIface>> = if opts.dry_run {
        || Some(Box::new(crate::announce::iface::DryRun::new()))
    } else {
        || match crate::announce::iface::Kernel::open() {
            Ok(k) => Some(Box::new(k)),
            Err(e) => {
                error!("vip_announce: cannot open rtnetlink: {}", e);
                None
            }
        }
    };
    let vip = match &cfg.vip_announce {
        None => None,
        Some(v) => {
            let Some(mut iface) = vip_opener() else {
                return EXIT_RUNTIME;
            };
            match iface.prepare(&v.interface) {
                Ok(present) => Some((iface, present)),
                Err(e @ crate::announce::iface::IfaceError::NotDummy(_)) => {
                    let msg = format!(
                        "{}: vip_announce interface '{}' {}",
                        crate::config::position(&cfg, v.interface_pos),
                        v.interface,
                        e
                    );
                    error!("{}", msg);
                    eprintln!("lvsmon: {}", msg);
                    return EXIT_CONFIG;
                }
                Err(e) => {
                    let msg = format!("vip_announce interface '{}': {}", v.interface, e);
                    error!("{}", msg);
                    eprintln!("lvsmon: {}", msg);
                    return EXIT_RUNTIME;
                }
            }
        }
    };
    crate::track_files::initialise(&cfg.track_file_inits, true);
    if opts.daemon {
        if let Err(e) = crate::sys::process::daemonize() {
            error!("cannot become a daemon: {}", e);
            return EXIT_RUNTIME;
        }
    }
    // Signals are caught (into the self-pipe, handled once the loop runs) before the pid
    // file exists: an init script may send HUP the moment it can read the pid, and HUP's
    // default action would end the daemon.
    let signal_pipe = match crate::sys::process::install_signal_pipe() {
        Ok(p) => p,
        Err(e) => {
            error!("cannot install signal handlers: {}", e);
            return EXIT_RUNTIME;
        }
    };
    let _pid_file = match opts.pid_file.as_deref().map(PidFile::acquire).transpose() {
        Ok(p) => p,
        Err(e) => {
            error!("{}", e);
            eprintln!("lvsmon: {}", e);
            return EXIT_RUNTIME;
        }
    };
    let backend: Box<dyn Backend> = if opts.dry_run {
        Box::new(crate::ipvs::dryrun::DryRun::new())
    } else {
        // A kernel without IPVS (module not loaded yet) is not fatal: checking goes on and
        // the table is applied when IPVS appears (see ipvs::lazy).
        let mut opener = crate::ipvs::lazy::kernel_opener(opts.ipvs_api);
        if let Some(name) = &cfg.net_namespace_ipvs {
            let ns = crate::sys::netns::path_of(name);
            info!(
                "programming the IPVS table of network namespace {}",
                ns.display()
            );
            opener = crate::ipvs::lazy::in_namespace(ns, opener);
        }
        match crate::ipvs::lazy::Lazy::new(opener) {
            Ok(b) => Box::new(b),
            Err(e) => {
                error!("cannot open the IPVS interface: {}", e);
                return EXIT_RUNTIME;
            }
        }
    };
    // The checks run where IPVS forwards from: probe sockets are opened in the
    // net_namespace_ipvs namespace too (sys::netns says why), for the daemon's life.
    let _probe_ns = match &cfg.net_namespace_ipvs {
        Some(name) => {
            let ns = crate::sys::netns::path_of(name);
            match crate::sys::netns::ProbeNamespace::enter(&ns) {
                Ok(g) => {
                    info!("checks run in network namespace {}", ns.display());
                    Some(g)
                }
                Err(e) => {
                    error!(
                        "cannot open network namespace {} for the checks: {}",
                        ns.display(),
                        e
                    );
                    return EXIT_RUNTIME;
                }
            }
        }
        None => None,
    };
    let now = Instant::now();
    let seed = now.elapsed().as_nanos() as u64 ^ u64::from(crate::sys::process::getpid());
    let director = match Director::new(&cfg, now, seed) {
        Ok(d) => d,
        Err(e) => {
            error!("{}", e);
            return EXIT_CONFIG;
        }
    };
    let mut director = director;
    director.set_log_checks(opts.log_checks);
    let settings = Settings {
        config_path: opts.config.clone(),
        config_load: opts.load.clone(),
        keep_on_exit: opts.keep_on_exit,
        http: opts.http,
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
            error!("{}", e);
            return EXIT_RUNTIME;
        }
    };
    info!(
        "lvsmon {} started: {} virtual services, config {}{}",
        env!("CARGO_PKG_VERSION"),
        cfg.services.len(),
        opts.config.display(),
        if opts.dry_run { ", dry run" } else { "" }
    );
    reactor.set_vip_iface(vip, vip_opener);
    if let Some(addr) = reactor.http_addr() {
        info!(
            "serving /metrics, /status.json and the status page on http://{}/",
            addr
        );
    }
    reactor.set_globals(crate::globals::Globals::from_config(&cfg));
    reactor.set_notify_fifo(
        cfg.lvs_notify_fifo
            .as_ref()
            .and_then(crate::notify_fifo::Fifo::open),
    );
    reactor.set_config_fingerprint(fingerprint);
    drop(cfg);
    reactor.start();
    match reactor.run() {
        Ok(_) => {
            info!("lvsmon stopped");
            EXIT_OK
        }
        Err(e) => {
            error!("event loop failed: {}", e);
            EXIT_RUNTIME
        }
    }
}
