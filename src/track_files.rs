//! track_file `init_file [VALUE] [overwrite]` (keepalived.conf(5), "Track files";
//! trackers/track_file.c, track_file_end_handler): when the daemon loads its config it
//! writes `VALUE\n` to each such file that does not exist, and with `overwrite` also over
//! one that does, but only at start, never on a reload. A path that exists and is not a
//! regular file is left alone with a warning. `lvsmon check` writes nothing (keepalived
//! does not in its config-test mode either).

use std::io::Write;

use crate::model::config::TrackFileInit;

/// Creates or overwrites the files of `inits`; `at_start` is false on a reload. Failures
/// are logged, as keepalived reports them, and do not stop the daemon.
pub fn initialise(inits: &[TrackFileInit], at_start: bool) {
    for t in inits {
        match std::fs::symlink_metadata(&t.path) {
            Ok(meta) => {
                if !t.overwrite || !at_start {
                    continue;
                }
                if !meta.file_type().is_file() {
                    warn!(
                        "cannot initialise track file {}: it is not a regular file",
                        t.path.display()
                    );
                    continue;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                warn!("cannot initialise track file {}: {}", t.path.display(), e);
                continue;
            }
        }
        let written = std::fs::File::create(&t.path)
            .and_then(|mut f| f.write_all(format!("{}\n", t.value).as_bytes()));
        match written {
            Ok(()) => info!("track file {} initialised to {}", t.path.display(), t.value),
            Err(e) => warn!("cannot initialise track file {}: {}", t.path.display(), e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn init(path: &std::path::Path, value: i32, overwrite: bool) -> TrackFileInit {
        TrackFileInit {
            path: path.to_path_buf(),
            value,
            overwrite,
        }
    }

    #[test]
    fn created_when_missing_overwritten_only_at_start_when_asked() {
        let dir = std::env::temp_dir().join(format!("lvsmon-tfinit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("a");
        let b = dir.join("b");
        let read = |p: &PathBuf| std::fs::read_to_string(p).unwrap();
        // Missing: created with the value, on start and on reload alike.
        initialise(&[init(&a, 5, false)], true);
        assert_eq!(read(&a), "5\n");
        initialise(&[init(&b, -3, false)], false);
        assert_eq!(read(&b), "-3\n");
        // Present, no overwrite: untouched.
        std::fs::write(&a, "7\n").unwrap();
        initialise(&[init(&a, 5, false)], true);
        assert_eq!(read(&a), "7\n");
        // Present, overwrite: rewritten at start, not on reload.
        initialise(&[init(&a, 0, true)], false);
        assert_eq!(read(&a), "7\n");
        initialise(&[init(&a, 0, true)], true);
        assert_eq!(read(&a), "0\n");
        // Not a regular file: left alone.
        let d = dir.join("d");
        std::fs::create_dir(&d).unwrap();
        initialise(&[init(&d, 1, true)], true);
        assert!(d.is_dir());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
