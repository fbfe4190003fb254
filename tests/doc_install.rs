//! `make install` (doc/doc.mk) into a scratch DESTDIR: the exact list of files, their
//! modes, the binary's bytes, the man pages gzipped reproducibly (gzip -9n) and equal to
//! their sources, the `ipvsadm` link only when asked for, and the link working as the
//! ipvsadm personality. The binary under test stands in for the release build
//! (LVSMON_BIN), so the test does not run cargo.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const LVSMON: &str = env!("CARGO_BIN_EXE_lvsmon");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lvsmon-install-{}-{}", name, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn make_install(destdir: &Path, extra: &[&str]) {
    let out = Command::new("make")
        .current_dir(root())
        // Not the jobserver of a `make test` that runs this test.
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL")
        .args(["-s", "--no-print-directory", "install"])
        .arg(format!("DESTDIR={}", destdir.display()))
        .arg(format!("LVSMON_BIN={}", LVSMON))
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("cannot run make (install it: apt-get install make)");
    assert!(
        out.status.success(),
        "make install failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file and link under `dir`: (relative path, kind and mode or link target).
fn tree(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    // Bounded: the install makes a handful of directories.
    for _ in 0..64 {
        let Some(d) = todo.pop() else { break };
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.file_type().is_symlink() {
                let to = std::fs::read_link(&p).unwrap();
                out.push((rel, format!("-> {}", to.display())));
            } else if meta.is_dir() {
                todo.push(p);
            } else {
                out.push((rel, format!("{:o}", meta.permissions().mode() & 0o7777)));
            }
        }
    }
    assert!(todo.is_empty(), "install tree deeper than expected");
    out.sort();
    out
}

fn gunzip(path: &Path) -> Vec<u8> {
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(path)
        .output()
        .expect("cannot run gzip");
    assert!(out.status.success(), "gzip -dc {}", path.display());
    out.stdout
}

fn expect(entries: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = entries
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn make_install_puts_each_file_in_place() {
    let dest = scratch("plain");
    make_install(&dest, &["PREFIX=/usr/local"]);
    assert_eq!(
        tree(&dest),
        expect(&[
            ("etc/lvsmon.conf.example", "644"),
            ("usr/local/sbin/lvsmon", "755"),
            ("usr/local/share/man/man5/lvsmon.conf.5.gz", "644"),
            ("usr/local/share/man/man8/lvsmon.8.gz", "644"),
        ])
    );
    assert_eq!(
        std::fs::read(dest.join("usr/local/sbin/lvsmon")).unwrap(),
        std::fs::read(LVSMON).unwrap()
    );
    assert_eq!(
        std::fs::read(dest.join("etc/lvsmon.conf.example")).unwrap(),
        std::fs::read(root().join("doc/lvsmon.conf.example")).unwrap()
    );
    for (gz, src) in [
        ("usr/local/share/man/man8/lvsmon.8.gz", "doc/lvsmon.8"),
        (
            "usr/local/share/man/man5/lvsmon.conf.5.gz",
            "doc/lvsmon.conf.5",
        ),
    ] {
        let path = dest.join(gz);
        assert_eq!(
            gunzip(&path),
            std::fs::read(root().join(src)).unwrap(),
            "{}",
            gz
        );
        // RFC 1952 header: no FNAME flag and no MTIME (-n), XFL 2 = best compression (-9).
        let head = std::fs::read(&path).unwrap();
        assert_eq!(&head[..3], &[0x1f, 0x8b, 8], "{}", gz);
        assert_eq!(head[3] & 0x08, 0, "{} stores a file name", gz);
        assert_eq!(&head[4..8], &[0, 0, 0, 0], "{} stores a time", gz);
        assert_eq!(head[8], 2, "{} is not gzip -9", gz);
    }
    let _ = std::fs::remove_dir_all(&dest);
}

#[test]
fn make_install_adds_the_ipvsadm_link_only_when_asked() {
    let dest = scratch("link");
    make_install(&dest, &["PREFIX=/usr", "INSTALL_IPVSADM_LINK=1"]);
    assert_eq!(
        tree(&dest),
        expect(&[
            ("etc/lvsmon.conf.example", "644"),
            ("usr/sbin/ipvsadm", "-> lvsmon"),
            ("usr/sbin/lvsmon", "755"),
            ("usr/share/man/man5/lvsmon.conf.5.gz", "644"),
            ("usr/share/man/man8/lvsmon.8.gz", "644"),
        ])
    );
    // Through the link the binary is ipvsadm.
    let out = Command::new(dest.join("usr/sbin/ipvsadm"))
        .arg("-v")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n"
    );
    // INSTALL_IPVSADM_LINK other than 1: no link.
    let dest2 = scratch("nolink");
    make_install(&dest2, &["PREFIX=/usr", "INSTALL_IPVSADM_LINK=0"]);
    assert!(std::fs::symlink_metadata(dest2.join("usr/sbin/ipvsadm")).is_err());
    let _ = std::fs::remove_dir_all(&dest);
    let _ = std::fs::remove_dir_all(&dest2);
}
