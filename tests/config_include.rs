//! `include`: globs, paths relative to the including file, cycles, depth limit, missing
//! files, error positions inside included files.

use std::fs;
use std::path::{Path, PathBuf};

use lvsmon::config::{load, parse_str};
use lvsmon::model::limits::MAX_INCLUDE_DEPTH;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("lvsmon-cfg-{}-{}", name, std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.0.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn vs(ip: &str) -> String {
    format!("virtual_server {ip} 80 {{\n protocol TCP\n real_server 198.51.100.2 80 {{ }}\n}}\n")
}

fn vips(c: &lvsmon::model::config::Config) -> Vec<String> {
    c.services
        .iter()
        .map(|v| format!("{:?}", v.target))
        .collect()
}

#[test]
fn glob_and_relative_paths() {
    let d = TempDir::new("glob");
    let main = d.write(
        "main.conf",
        "include conf.d/*.conf\ninclude \"conf.d/x?.cfg\"  # comment\ninclude conf.d/[b-c]*.in\n",
    );
    d.write("conf.d/b.conf", &vs("192.0.2.2"));
    d.write(
        "conf.d/a.conf",
        &(vs("192.0.2.1") + "include ../extra/c.inc\n"),
    );
    d.write("conf.d/.hidden.conf", &vs("192.0.2.99"));
    d.write("conf.d/x1.cfg", &vs("192.0.2.4"));
    d.write("conf.d/x12.cfg", &vs("192.0.2.98"));
    d.write("conf.d/c1.in", &vs("192.0.2.5"));
    d.write("conf.d/a1.in", &vs("192.0.2.97"));
    d.write("extra/c.inc", &vs("192.0.2.3"));
    let c = load(&main).unwrap();
    assert_eq!(
        vips(&c),
        vec![
            "Addr(192.0.2.1:80)",
            "Addr(192.0.2.3:80)",
            "Addr(192.0.2.2:80)",
            "Addr(192.0.2.4:80)",
            "Addr(192.0.2.5:80)",
        ]
    );
    let names: Vec<String> = c
        .files
        .iter()
        .map(|p| p.strip_prefix(&d.0).unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        vec![
            "main.conf",
            "conf.d/a.conf",
            "conf.d/../extra/c.inc",
            "conf.d/b.conf",
            "conf.d/x1.cfg",
            "conf.d/c1.in"
        ]
    );
    // Positions point into the file that holds the statement.
    let p = c.services[1].pos;
    assert_eq!((p.file, p.line, p.col), (2, 1, 1));
}

#[test]
fn include_inside_a_block_and_error_position_in_included_file() {
    let d = TempDir::new("inblock");
    let rs = d.write("rs.conf", "real_server 198.51.100.3 80 {\n  weigth 2\n}\n");
    let main = d.write(
        "main.conf",
        "virtual_server 192.0.2.1 80 {\n protocol TCP\n include rs.conf\n}\n",
    );
    let e = load(&main).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}:2:3: unknown keyword 'weigth' in real_server",
            rs.display()
        )
    );
    d.write("rs.conf", "real_server 198.51.100.3 80 {\n  weight 2\n}\n");
    let c = load(&main).unwrap();
    assert_eq!(c.services[0].reals[0].weight, 2);
}

#[test]
fn cycle_is_refused() {
    let d = TempDir::new("cycle");
    let a = d.write("a.conf", "include b.conf\n");
    let b = d.write("b.conf", "\n  include a.conf\n");
    let e = load(&a).unwrap_err().to_string();
    let ca = fs::canonicalize(&a).unwrap();
    let cb = fs::canonicalize(&b).unwrap();
    assert_eq!(
        e,
        format!(
            "{}:2:3: include cycle: {} -> {} -> {}",
            b.display(),
            ca.display(),
            cb.display(),
            ca.display()
        )
    );
    let s = d.write("self.conf", "include self.conf\n");
    let e = load(&s).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}:1:1: include cycle: ", s.display())),
        "{}",
        e
    );
}

fn chain(d: &TempDir, n: usize) -> PathBuf {
    for i in 0..n {
        d.write(
            &format!("f{}.conf", i),
            &format!("include f{}.conf\n", i + 1),
        );
    }
    d.write(&format!("f{}.conf", n), &vs("192.0.2.1"));
    d.0.join("f0.conf")
}

#[test]
fn depth_limit() {
    let d = TempDir::new("depth-ok");
    let c = load(&chain(&d, MAX_INCLUDE_DEPTH)).unwrap();
    assert_eq!(c.services.len(), 1);
    assert_eq!(c.files.len(), MAX_INCLUDE_DEPTH + 1);

    let d = TempDir::new("depth-over");
    let e = load(&chain(&d, MAX_INCLUDE_DEPTH + 1))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "{}:1:1: include nested deeper than MAX_INCLUDE_DEPTH ({}) at 'f{}.conf'",
            d.0.join(format!("f{}.conf", MAX_INCLUDE_DEPTH)).display(),
            MAX_INCLUDE_DEPTH,
            MAX_INCLUDE_DEPTH + 1
        )
    );
}

#[test]
fn missing_files_and_empty_globs() {
    let d = TempDir::new("missing");
    let main = d.write("main.conf", "# x\ninclude nothere.conf\n");
    assert_eq!(
        load(&main).unwrap_err().to_string(),
        format!(
            "{}:2:1: include file '{}' not found",
            main.display(),
            d.0.join("nothere.conf").display()
        )
    );
    // A glob that matches nothing is an optional include (keepalived's conf.d habit) ...
    let main = d.write("main.conf", &(vs("192.0.2.1") + "include conf.d/*.conf\n"));
    let c = load(&main).unwrap();
    // (The service's own warnings, keepalived's lb_algo / lb_kind defaults, aside.)
    let w: Vec<&String> = c
        .warnings
        .iter()
        .filter(|w| w.contains("include"))
        .collect();
    assert_eq!(
        w,
        vec![&format!(
            "{}:5:1: include '{}' matched no files",
            main.display(),
            d.0.join("conf.d/*.conf").display()
        )]
    );
    // ... unless includew / includea ask for a match.
    let main = d.write("main.conf", "includea conf.d/*.conf\n");
    assert!(load(&main)
        .unwrap_err()
        .to_string()
        .ends_with("matched no files"));
    // The root file itself.
    let e = load(&d.0.join("absent.conf")).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "{}:1:1: cannot read config file: ",
            d.0.join("absent.conf").display()
        )),
        "{}",
        e
    );
    // A directory is not a config file.
    fs::create_dir_all(d.0.join("dir.conf")).unwrap();
    let main = d.write("main.conf", "include dir.conf\n");
    assert!(load(&main)
        .unwrap_err()
        .to_string()
        .ends_with("is a directory"));
}

#[test]
fn parse_str_includes_absolute_paths() {
    let d = TempDir::new("abs");
    let inc = d.write("x.conf", &vs("192.0.2.7"));
    let c = parse_str("main", &format!("include {}\n", inc.display())).unwrap();
    assert_eq!(vips(&c), vec!["Addr(192.0.2.7:80)"]);
    assert_eq!(c.files, vec![PathBuf::from("main"), inc.clone()]);
    assert!(Path::new(&c.files[1]).is_absolute());
}

#[test]
fn unreadable_and_oversized_files() {
    let d = TempDir::new("bad-bytes");
    let p = d.write("bin.conf", "virtual_server \u{e9}\n");
    fs::write(&p, b"virtual_server \xff\n").unwrap();
    assert_eq!(
        load(&p).unwrap_err().to_string(),
        format!(
            "{}:1:1: file is not UTF-8 text (invalid byte at offset 15)",
            p.display()
        )
    );
    let big = d.0.join("big.conf");
    let f = fs::File::create(&big).unwrap();
    f.set_len(lvsmon::model::limits::MAX_CONFIG_FILE_BYTES as u64 + 1)
        .unwrap();
    let main = d.write("main.conf", "\n\n include big.conf\n");
    assert_eq!(
        load(&main).unwrap_err().to_string(),
        format!(
            "{}:3:2: include '{}': file is larger than MAX_CONFIG_FILE_BYTES ({} bytes)",
            main.display(),
            big.display(),
            lvsmon::model::limits::MAX_CONFIG_FILE_BYTES
        )
    );
}
