//! The `SSL` block and SSL_GET's keywords through the config parser: files are read at
//! load time, so a missing or unusable file is an error at its keyword's position; an
//! encrypted key (which rustls cannot decrypt) is refused with what to do instead.
#![cfg(feature = "tls")]

#[path = "support/tls.rs"]
mod tls_support;

use std::process::Command;

use lvsmon::config::parse_str;
use lvsmon::model::config::CheckKind;
use tls_support::*;

fn conf(ssl: &str, checker: &str) -> String {
    format!(
        "{ssl}\nvirtual_server 192.0.2.10 443 {{\n protocol TCP\n real_server 198.51.100.2 443 {{\n  \
         SSL_GET {{\n   url {{ path / }}\n   {checker}\n  }}\n }}\n}}\n"
    )
}

fn err(text: &str) -> String {
    parse_str("t.conf", text).unwrap_err().to_string()
}

#[test]
fn ssl_files_are_read_at_load_time_with_errors_at_their_keyword() {
    let dir = TempDir::new("conf");
    let ca = Ca::new("conf CA");
    let ca_path = dir.write("ca.crt", ca.pem().as_bytes());
    let (c, k) = ca.issue(&["client.example.test"], true, false);
    let cert = dir.write("c.crt", c.as_bytes());
    let key = dir.write("c.key", k.as_bytes());
    let missing = dir.path("missing.crt");
    assert_eq!(
        err(&conf(&format!("SSL {{\n ca {}\n}}", missing.display()), "")),
        format!(
            "t.conf:2:2: SSL ca {}: No such file or directory (os error 2)",
            missing.display()
        )
    );
    assert_eq!(
        err(&conf(&format!("SSL {{\n ca {}\n}}", key.display()), "")),
        format!(
            "t.conf:2:2: SSL ca {}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
            key.display()
        )
    );
    assert_eq!(
        err(&conf(
            &format!("SSL {{\n certificate {}\n}}", cert.display()),
            ""
        )),
        format!(
            "t.conf:2:2: SSL certificate {} needs a 'key' (the client certificate's private key)",
            cert.display()
        )
    );
    assert_eq!(
        err(&conf(
            &format!(
                "SSL {{\n certificate {}\n key {}\n}}",
                cert.display(),
                cert.display()
            ),
            ""
        )),
        format!(
            "t.conf:3:2: SSL key {}: no PEM private key (PKCS#8, RSA or EC) in it",
            cert.display()
        )
    );
    assert_eq!(
        err(&conf("SSL {\n cafile /x\n}", "")),
        "t.conf:2:2: unknown keyword 'cafile' in SSL"
    );
    // A good block: every check of the config shares its contexts; verification is on
    // because there is a ca, and off where the check says so.
    let ok = conf(
        &format!(
            "SSL {{\n ca {}\n certificate {}\n key {}\n}}",
            ca_path.display(),
            cert.display(),
            key.display()
        ),
        "sni_name www.example.test\n   tls_compliant",
    );
    let c = parse_str("t.conf", &ok).unwrap();
    let CheckKind::Http(h) = &c.services[0].reals[0].checks[0].kind else {
        panic!()
    };
    let t = h.tls.as_ref().unwrap();
    assert!(t.verify && t.enable_sni && t.compliant);
    assert_eq!(t.sni_name.as_deref(), Some("www.example.test"));
    let off = parse_str("t.conf", &ok.replace("tls_compliant", "verify off")).unwrap();
    let CheckKind::Http(h) = &off.services[0].reals[0].checks[0].kind else {
        panic!()
    };
    assert!(!h.tls.as_ref().unwrap().verify);
    // The same files read twice make equal checks (a reload changes nothing); a changed
    // file does not.
    assert_eq!(parse_str("t.conf", &ok).unwrap(), c);
    std::fs::write(&ca_path, Ca::new("another CA").pem()).unwrap();
    assert_ne!(parse_str("t.conf", &ok).unwrap(), c);
}

#[test]
fn an_encrypted_key_is_refused_and_an_unneeded_password_warned_about() {
    let dir = TempDir::new("enc");
    let ca = Ca::new("enc CA");
    let (c, k) = ca.issue(&["client.example.test"], true, false);
    let cert = dir.write("c.crt", c.as_bytes());
    let key = dir.write("c.key", k.as_bytes());
    let enc = dir.path("enc.key");
    let st = Command::new("openssl")
        .args(["pkey", "-aes256", "-passout", "pass:secret", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&enc)
        .status()
        .expect("openssl (installed by .ci/run)");
    assert!(st.success());
    let text = conf(
        &format!(
            "SSL {{\n certificate {}\n key {}\n password secret\n}}",
            cert.display(),
            enc.display()
        ),
        "",
    );
    assert_eq!(
        err(&text),
        format!(
            "t.conf:3:2: SSL key {0}: the key is encrypted, and lvsmon cannot decrypt keys \
             ('password' is not supported); store it decrypted, readable by root only: \
             openssl pkey -in {0} -out {0}.plain",
            enc.display()
        )
    );
    let plain = text.replace(enc.to_str().unwrap(), key.to_str().unwrap());
    let c = parse_str("t.conf", &plain).unwrap();
    // (The service here names no lb_algo/lb_kind: those warnings are config_diagnostics'.)
    let ssl: Vec<&String> = c.warnings.iter().filter(|w| w.contains("SSL")).collect();
    assert_eq!(
        ssl,
        ["t.conf:4:2: SSL password unused: the key is not encrypted"]
    );
}
