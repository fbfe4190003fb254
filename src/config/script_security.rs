//! Script users and script security, as keepalived 2.2.7 applies them when it loads its
//! configuration (lib/notify.c: get_default_script_user, check_script_secure,
//! check_security; check/check_misc.c: check_misc_script_security). Runs after
//! `resolve`, over every script of the resolved config: MISC_CHECK `misc_path`,
//! `notify_up`/`notify_down`, `quorum_up`/`quorum_down` and `lvs_notify_fifo_script`.
//!
//! - A script without its own user runs as `global_defs { script_user USER [GROUP] }`,
//!   else as `keepalived_script` if that user exists, else as root with a warning. With
//!   `enable_script_security` and no usable default user, or a `script_user` that does
//!   not exist, scripts without their own user are not run (keepalived: "Unable to set
//!   default user").
//! - A script that will run as root (uid or gid 0, or a set-uid/set-gid root file) has
//!   every component of its real path (symbolic links resolved, as realpath(3) does)
//!   looked at without following links: one owned by a user other than root, or a file
//!   or a directory without the sticky bit that is writable by its non-root group or by
//!   anyone, makes it unsafe. With `enable_script_security` an unsafe script is refused:
//!   a notify or quorum script is dropped and a MISC_CHECK is removed from its real
//!   server, as keepalived removes it, with a warning naming the component. Without it
//!   the script is kept and the warning says so.
//!
//! This reads the file system and the user database (getpwnam_r), at load time only: a
//! permission changed later is seen at the next reload, as in keepalived. A script that
//! cannot be found is left to fail when run (keepalived disables it).

use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::config::error::fmt_pos;
use crate::model::config::{CheckKind, Config, Pos, Script};

/// The user keepalived runs scripts as when none is named.
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// What `global_defs` says about scripts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub script_user: Option<(String, Option<String>, Pos)>,
    pub enabled: bool,
}

/// The uid and gid of `user` (and `group`), None when either does not exist.
pub fn ids_of(user: &str, group: Option<&str>) -> Option<(u32, u32)> {
    let u = CString::new(user).ok()?;
    let g = match group {
        Some(g) => Some(CString::new(g).ok()?),
        None => None,
    };
    let mut scratch = vec![0u8; 16 * 1024];
    crate::sys::probe::lookup_ids(&u, g.as_deref(), &mut scratch)
        .ok()
        .map(|i| (i.uid, i.gid))
}

/// Who runs scripts that name no user.
enum Default {
    /// This user (and group).
    User(String, Option<String>, (u32, u32)),
    /// lvsmon's own user (root): no `script_user`, no `keepalived_script`.
    Root,
    /// Nobody: they are not run.
    Refused(&'static str),
}

/// Why a path is unsafe, naming the component.
fn unsafe_component(path: &Path) -> Option<String> {
    let mut prefix = PathBuf::new();
    // Bounded by the number of components of the path.
    for comp in path.components() {
        prefix.push(comp);
        let meta = match std::fs::symlink_metadata(&prefix) {
            Ok(m) => m,
            // Gone between realpath and here, or unreadable: keepalived disables it.
            Err(e) => return Some(format!("'{}' cannot be examined: {}", prefix.display(), e)),
        };
        let mode = meta.mode();
        let is_dir = meta.is_dir();
        if meta.uid() != 0 {
            return Some(format!(
                "'{}' is owned by uid {}, not root",
                prefix.display(),
                meta.uid()
            ));
        }
        let sticky = mode & libc::S_ISVTX != 0;
        if (is_dir && !sticky) || meta.is_file() {
            if meta.gid() != 0 && mode & libc::S_IWGRP != 0 {
                return Some(format!(
                    "'{}' is writable by its group (gid {})",
                    prefix.display(),
                    meta.gid()
                ));
            }
            if mode & libc::S_IWOTH != 0 {
                return Some(format!("'{}' is writable by anyone", prefix.display()));
            }
        }
    }
    None
}

/// The file `argv0` runs: itself when it has a '/', else the first executable regular
/// file of that name in PATH (execvp's search).
fn locate(argv0: &str) -> Option<PathBuf> {
    if argv0.contains('/') {
        return Some(PathBuf::from(argv0));
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join(argv0))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0))
}

/// What happens to one script.
enum Verdict {
    Keep,
    Refuse(String),
}

struct Ctx<'a> {
    settings: &'a Settings,
    default: Default,
    files: &'a [PathBuf],
    warnings: Vec<String>,
    root_default_used: bool,
}

impl Ctx<'_> {
    fn warn(&mut self, pos: Option<Pos>, msg: String) {
        let line = match pos {
            Some(p) => format!("{}: {}", fmt_pos(self.files, p), msg),
            None => msg,
        };
        if !self.warnings.contains(&line) {
            self.warnings.push(line);
        }
    }

    /// Gives `script` its user and judges its path. `what` names it in warnings.
    fn judge(&mut self, script: &mut Script, what: &str, pos: Option<Pos>) -> Verdict {
        let ids = match &script.user {
            Some(u) => match ids_of(u, script.group.as_deref()) {
                Some(ids) => ids,
                // Left to the run, which says so (notify) or fails the check (MISC).
                None => return Verdict::Keep,
            },
            None => match &self.default {
                Default::User(u, g, ids) => {
                    script.user = Some(u.clone());
                    script.group = g.clone();
                    *ids
                }
                Default::Root => {
                    self.root_default_used = true;
                    (0, 0)
                }
                Default::Refused(why) => return Verdict::Refuse(why.to_string()),
            },
        };
        let Some(file) = script.argv.first().and_then(|a| locate(a)) else {
            return Verdict::Keep;
        };
        let Ok(real) = std::fs::canonicalize(&file) else {
            return Verdict::Keep;
        };
        let Ok(meta) = std::fs::metadata(&real) else {
            return Verdict::Keep;
        };
        let mode = meta.mode();
        let as_root = ids.0 == 0
            || ids.1 == 0
            || (meta.uid() == 0 && mode & libc::S_ISUID != 0 && mode & libc::S_IXUSR != 0)
            || (meta.gid() == 0 && mode & libc::S_ISGID != 0 && mode & libc::S_IXGRP != 0);
        if !as_root {
            return Verdict::Keep;
        }
        let Some(why) = unsafe_component(&real) else {
            return Verdict::Keep;
        };
        let shown = if real == file {
            format!("'{}'", file.display())
        } else {
            format!("'{}' (really '{}')", file.display(), real.display())
        };
        if self.settings.enabled {
            Verdict::Refuse(format!("{} runs as root and {}", shown, why))
        } else {
            self.warn(
                pos,
                format!(
                    "{} {} runs as root and {}: unsafe (enable_script_security would refuse it)",
                    what, shown, why
                ),
            );
            Verdict::Keep
        }
    }
}

/// Applies `settings` to every script of `cfg`, adding warnings to it.
pub fn apply(cfg: &mut Config, settings: &Settings, files: &[PathBuf]) {
    let any_script = cfg
        .lvs_notify_fifo
        .as_ref()
        .is_some_and(|f| f.script.is_some())
        || cfg.services.iter().any(|vs| {
            vs.quorum_up.is_some()
                || vs.quorum_down.is_some()
                || vs.reals.iter().any(|r| {
                    r.notify_up.is_some()
                        || r.notify_down.is_some()
                        || r.checks
                            .iter()
                            .any(|c| matches!(c.kind, CheckKind::Misc(_)))
                })
        });
    if !any_script {
        return;
    }
    let mut warnings = Vec::new();
    let default = match &settings.script_user {
        Some((u, g, pos)) => match ids_of(u, g.as_deref()) {
            Some(ids) => Default::User(u.clone(), g.clone(), ids),
            None => {
                warnings.push(format!(
                    "{}: script_user {}{} does not exist: scripts without their own user are not run, as in keepalived",
                    fmt_pos(files, *pos),
                    u,
                    g.as_deref().map(|g| format!(" {}", g)).unwrap_or_default()
                ));
                Default::Refused("the script_user does not exist")
            }
        },
        None => match ids_of(DEFAULT_SCRIPT_USER, None) {
            Some(ids) => Default::User(DEFAULT_SCRIPT_USER.to_string(), None, ids),
            None if settings.enabled => {
                warnings.push(format!(
                    "enable_script_security: user {} does not exist and no script_user is set: scripts without their own user are not run, as in keepalived",
                    DEFAULT_SCRIPT_USER
                ));
                Default::Refused("no script user (enable_script_security)")
            }
            None => Default::Root,
        },
    };
    let mut cx = Ctx {
        settings,
        default,
        files,
        warnings,
        root_default_used: false,
    };
    for vs in &mut cfg.services {
        let vs_pos = vs.pos;
        for (slot, what) in [
            (&mut vs.quorum_up, "quorum_up"),
            (&mut vs.quorum_down, "quorum_down"),
        ] {
            if let Some(sc) = slot.as_mut() {
                if let Verdict::Refuse(why) = cx.judge(sc, what, Some(vs_pos)) {
                    cx.warn(
                        Some(vs_pos),
                        format!("{} refused, never run: {}", what, why),
                    );
                    *slot = None;
                }
            }
        }
        for r in &mut vs.reals {
            let rs_pos = r.pos;
            for (slot, what) in [
                (&mut r.notify_up, "notify_up"),
                (&mut r.notify_down, "notify_down"),
            ] {
                if let Some(sc) = slot.as_mut() {
                    if let Verdict::Refuse(why) = cx.judge(sc, what, Some(rs_pos)) {
                        cx.warn(
                            Some(rs_pos),
                            format!(
                                "{} of real_server {} refused, never run: {}",
                                what, r.addr, why
                            ),
                        );
                        *slot = None;
                    }
                }
            }
            let addr = r.addr;
            let mut refused = Vec::new();
            for (i, c) in r.checks.iter_mut().enumerate() {
                if let CheckKind::Misc(m) = &mut c.kind {
                    if let Verdict::Refuse(why) =
                        cx.judge(&mut m.script, "MISC_CHECK", Some(rs_pos))
                    {
                        refused.push((i, why));
                    }
                }
            }
            for (i, why) in refused.into_iter().rev() {
                r.checks.remove(i);
                cx.warn(
                    Some(rs_pos),
                    format!(
                        "MISC_CHECK of real_server {} refused, never run, and removed as keepalived removes it (the server is judged by its other checks): {}",
                        addr, why
                    ),
                );
            }
        }
    }
    if let Some(fifo) = cfg.lvs_notify_fifo.as_mut() {
        if let Some(sc) = fifo.script.as_mut() {
            if let Verdict::Refuse(why) = cx.judge(sc, "lvs_notify_fifo_script", None) {
                let line = format!("lvs_notify_fifo_script refused, never run: {}", why);
                cx.warn(None, line);
                fifo.script = None;
            }
        }
    }
    if cx.root_default_used {
        cx.warnings.insert(
            0,
            format!(
                "scripts without a user run as root: user {} does not exist and no script_user is set (keepalived's default)",
                DEFAULT_SCRIPT_USER
            ),
        );
    }
    cfg.warnings.extend(cx.warnings);
}
