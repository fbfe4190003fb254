//! TLS client contexts for SSL_GET (feature "tls"), built once per config load from the
//! top-level `SSL { ca; certificate; key; password }` block: the files are read and
//! parsed here, at load time, so a missing or unusable file is a config error and a
//! check never touches the file system. The probe (`probe::tls`) only picks one of the
//! prepared rustls `ClientConfig`s and starts a connection with it.
//!
//! Verification: keepalived never verifies the server's certificate (it loads `ca` but
//! asks OpenSSL for no verification). lvsmon keeps that default when no `ca` is given;
//! with `ca`, the chain must lead to one of its certificates and the certificate must be
//! valid for the name the check connects to (see `probe::tls`). A check's `verify off`
//! keeps keepalived's behaviour even then.
//!
//! Session resumption is off: every check is a full handshake, so a changed or expired
//! certificate is seen by the next check, and no session cache grows with the number of
//! servers.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use md5::{Digest, Md5};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// Bytes of one CA, certificate or key file (a CA bundle of a few hundred certificates
/// fits; anything bigger is not what `SSL` means).
const MAX_PEM_FILE_BYTES: u64 = 1024 * 1024;

/// The `SSL` block's files, as given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SslFiles<'a> {
    pub ca: Option<&'a Path>,
    pub certificate: Option<&'a Path>,
    pub key: Option<&'a Path>,
    pub password: Option<&'a str>,
}

/// Which `SSL` keyword an error is about (for its position in the config).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslField {
    Ca,
    Certificate,
    Key,
}

/// A load-time error: the keyword it is about and the words to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SslError {
    pub field: SslField,
    pub message: String,
}

/// The prepared client configurations, shared by every SSL_GET of a config. Equal when
/// built from the same settings and file contents, so a reload with unchanged files
/// changes no checker.
#[derive(Clone)]
pub struct Client {
    /// MD5 over the settings and the bytes of every file read.
    id: [u8; 16],
    /// Indexed by `index(sni, verify)`.
    configs: Arc<[Arc<ClientConfig>; 4]>,
    /// Whether a `ca` was given (verification is possible).
    has_ca: bool,
}

impl PartialEq for Client {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Client {}

impl std::hash::Hash for Client {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("tls::Client")
            .field("has_ca", &self.has_ca)
            .finish()
    }
}

fn index(sni: bool, verify: bool) -> usize {
    usize::from(sni) * 2 + usize::from(verify)
}

impl Client {
    /// Reads the files and prepares the four configurations (SNI on/off, verification
    /// on/off; verification on only exists with a `ca`).
    pub fn build(files: &SslFiles) -> Result<Client, SslError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut id = Md5::new();
        let mut roots = RootCertStore::empty();
        if let Some(ca) = files.ca {
            let pem = read_pem(ca, SslField::Ca, &mut id)?;
            let certs = certs(&pem, ca, SslField::Ca)?;
            let (good, _bad) = roots.add_parsable_certificates(certs);
            if good == 0 {
                return Err(SslError {
                    field: SslField::Ca,
                    message: format!("SSL ca {}: no usable CA certificate in it", ca.display()),
                });
            }
        }
        let client_auth = match (files.certificate, files.key) {
            (None, None) => None,
            (Some(c), None) => {
                return Err(SslError {
                    field: SslField::Certificate,
                    message: format!(
                        "SSL certificate {} needs a 'key' (the client certificate's private key)",
                        c.display()
                    ),
                })
            }
            (None, Some(k)) => {
                return Err(SslError {
                    field: SslField::Key,
                    message: format!(
                        "SSL key {} needs a 'certificate' to go with it",
                        k.display()
                    ),
                })
            }
            (Some(c), Some(k)) => {
                let cpem = read_pem(c, SslField::Certificate, &mut id)?;
                let chain = certs(&cpem, c, SslField::Certificate)?;
                let kpem = read_pem(k, SslField::Key, &mut id)?;
                Some((chain, private_key(&kpem, k)?))
            }
        };
        if let Some(p) = files.password {
            id.update(p.as_bytes());
        }
        let has_ca = files.ca.is_some();
        let verifier = if has_ca {
            let v = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| SslError {
                    field: SslField::Ca,
                    message: format!("SSL ca: {}", e),
                })?;
            Some(v)
        } else {
            None
        };
        let no_verify: Arc<dyn ServerCertVerifier> = Arc::new(NoVerify(provider.clone()));
        let make = |sni: bool, verify: bool| -> Result<Arc<ClientConfig>, SslError> {
            let server: Arc<dyn ServerCertVerifier> = match (&verifier, verify) {
                (Some(v), true) => v.clone(),
                _ => no_verify.clone(),
            };
            let builder = ClientConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(rustls::ALL_VERSIONS)
                .map_err(|e| SslError {
                    field: SslField::Ca,
                    message: format!("TLS setup: {}", e),
                })?
                .dangerous()
                .with_custom_certificate_verifier(server);
            let mut cfg = match &client_auth {
                None => builder.with_no_client_auth(),
                Some((chain, key)) => builder
                    .with_client_auth_cert(chain.clone(), key.clone_key())
                    .map_err(|e| SslError {
                        field: SslField::Key,
                        message: format!("SSL key does not fit the certificate: {}", e),
                    })?,
            };
            cfg.enable_sni = sni;
            cfg.resumption = Resumption::disabled();
            Ok(Arc::new(cfg))
        };
        let configs = [
            make(false, false)?,
            make(false, true)?,
            make(true, false)?,
            make(true, true)?,
        ];
        id.update([u8::from(has_ca)]);
        Ok(Client {
            id: id.finalize().into(),
            configs: Arc::new(configs),
            has_ca,
        })
    }

    /// Whether a `ca` was given.
    pub fn has_ca(&self) -> bool {
        self.has_ca
    }

    /// The configuration for a connection: SNI sent or not, certificate verified or not
    /// (verification needs a `ca`; without one it is never on).
    pub fn config(&self, sni: bool, verify: bool) -> &Arc<ClientConfig> {
        &self.configs[index(sni, verify && self.has_ca)]
    }
}

/// Whether `name` can be sent as SNI and verified against (a DNS name; rustls sends no
/// IP address as SNI, as RFC 6066 3 forbids).
pub fn is_dns_name(name: &str) -> bool {
    matches!(ServerName::try_from(name), Ok(ServerName::DnsName(_)))
}

fn read_pem(path: &Path, field: SslField, id: &mut Md5) -> Result<Vec<u8>, SslError> {
    let err = |what: String| SslError {
        field,
        message: format!("SSL {} {}: {}", field_name(field), path.display(), what),
    };
    let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
    if meta.len() > MAX_PEM_FILE_BYTES {
        return Err(err(format!("larger than {} bytes", MAX_PEM_FILE_BYTES)));
    }
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    id.update((bytes.len() as u64).to_le_bytes());
    id.update(&bytes);
    Ok(bytes)
}

fn field_name(f: SslField) -> &'static str {
    match f {
        SslField::Ca => "ca",
        SslField::Certificate => "certificate",
        SslField::Key => "key",
    }
}

fn certs(
    pem: &[u8],
    path: &Path,
    field: SslField,
) -> Result<Vec<CertificateDer<'static>>, SslError> {
    let mut out = Vec::new();
    for c in CertificateDer::pem_slice_iter(pem) {
        let c = c.map_err(|e| SslError {
            field,
            message: format!("SSL {} {}: {}", field_name(field), path.display(), e),
        })?;
        out.push(c);
    }
    if out.is_empty() {
        return Err(SslError {
            field,
            message: format!(
                "SSL {} {}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
                field_name(field),
                path.display()
            ),
        });
    }
    Ok(out)
}

/// The private key of `key`. rustls reads unencrypted PKCS#8, PKCS#1 (RSA) and SEC1 (EC)
/// keys; it cannot decrypt an encrypted key, so one is refused with the command that
/// makes a usable copy (keepalived decrypts it with `password`).
fn private_key(pem: &[u8], path: &Path) -> Result<PrivateKeyDer<'static>, SslError> {
    let err = |what: String| SslError {
        field: SslField::Key,
        message: format!("SSL key {}: {}", path.display(), what),
    };
    let encrypted = pem.windows(b"ENCRYPTED".len()).any(|w| w == b"ENCRYPTED");
    if encrypted {
        return Err(err(format!(
            "the key is encrypted, and lvsmon cannot decrypt keys ('password' is not \
             supported); store it decrypted, readable by root only: \
             openssl pkey -in {0} -out {0}.plain",
            path.display()
        )));
    }
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            err("no PEM private key (PKCS#8, RSA or EC) in it".to_string())
        }
        e => err(e.to_string()),
    })
}

/// keepalived's SSL_GET: any certificate is accepted. The handshake's signature is still
/// checked against the key in the certificate presented (rustls needs an answer, and a
/// server that cannot sign with its own key is broken).
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
