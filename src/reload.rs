//! The config half of a reload (`reload_config`), called by the reactor on SIGHUP and
//! `lvsmon reload`, and the drift interval a config asks for. Below the reactor and the
//! daemon, above the config parser and the director: nothing here runs the loop.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::director::Director;
use crate::model::config::Config;

/// How often the kernel table is compared with what lvsmon believes: the shortest
/// delay_loop of any check, so drift is noticed within one delay_loop.
pub fn drift_interval(cfg: &Config) -> Duration {
    // Plain loops, for code size: the flat_map chain was 0.6 KB more on mipsel.
    let mut shortest = None;
    for vs in &cfg.services {
        for rs in &vs.reals {
            for c in &rs.checks {
                if shortest.map_or(true, |d| c.delay_loop < d) {
                    shortest = Some(c.delay_loop);
                }
            }
        }
    }
    shortest
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
    Applied(Box<Config>),
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
        error!("reload refused, keeping the running config: {}", e);
        format!("reload refused, the running config stays: {}", e)
    };
    let source = crate::config::Source::read_with(path, load).map_err(|e| refused(&e))?;
    let fingerprint = source.fingerprint();
    if !force && *running == Some(fingerprint) {
        info!(
            "reloaded {}: unchanged ({} file{} byte-identical to the running config), nothing to do",
            path.display(),
            source.files().len(),
            if source.files().len() == 1 { "" } else { "s" }
        );
        return Ok(Reloaded::Unchanged);
    }
    let cfg = source.resolve().map_err(|e| refused(&e))?;
    if let Some(v) = &cfg.vip_announce {
        if let Err(e) = crate::announce::iface::check_interface(&v.interface) {
            return Err(refused(&format_args!(
                "{}: vip_announce interface '{}' {}",
                crate::config::position(&cfg, v.interface_pos),
                v.interface,
                e
            )));
        }
    }
    for w in &cfg.warnings {
        warn!("{}", w);
    }
    for n in &cfg.notes {
        info!("{}", n);
    }
    if let Err(e) = director.reload(&cfg, now) {
        error!("reload of {} refused: {}", path.display(), e);
        return Err(format!("reload of {} refused: {}", path.display(), e));
    }
    *running = Some(fingerprint);
    Ok(Reloaded::Applied(Box::new(cfg)))
}
