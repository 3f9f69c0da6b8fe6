//! TLS for the sandbox clusters' Kubernetes API servers, as real ones have: a certificate
//! authority made once per installation and kept in the database, and a server certificate
//! issued from it at each start for the hosts clients use. Kubeconfigs carry the CA, so kubectl
//! verifies the server and sends its bearer token (it sends none over plain HTTP).

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::backend::sandbox::store::certificates::{self, StoredAuthority};
use crate::store::Database;

const AUTHORITY_NAME: &str = "kube-api";
const AUTHORITY_COMMON_NAME: &str = "Wheelhouse sandbox Kubernetes CA";

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("the Kubernetes API certificate could not be made: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("the Kubernetes API TLS settings were refused: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("the Kubernetes API certificate authority could not be stored: {0}")]
    Store(#[from] sqlx::Error),
}

/// What the API servers need to speak TLS, and the CA (PEM) kubeconfigs carry.
pub struct KubeApiTls {
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
}

/// The CA's parameters: always the same, so the CA certificate can be rebuilt from its stored
/// key with the same subject and key identifier when issuing server certificates.
fn authority_params() -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, AUTHORITY_COMMON_NAME);
    name.push(DnType::OrganizationName, "Wheelhouse");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = rcgen::date_time_ymd(2045, 1, 1);
    Ok(params)
}

/// The installation's CA: read from the database, or made and stored on first start (when two
/// processes race, both read back the one row that won).
async fn authority(database: &Database, now: i64) -> Result<StoredAuthority, TlsError> {
    let mut conn = database.pool().acquire().await?;
    if let Some(stored) = certificates::get(&mut conn, AUTHORITY_NAME).await? {
        return Ok(stored);
    }
    let key = KeyPair::generate()?;
    let cert = authority_params()?.self_signed(&key)?;
    let fresh = StoredAuthority {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    };
    certificates::insert_if_absent(&mut conn, AUTHORITY_NAME, &fresh, now).await?;
    Ok(certificates::get(&mut conn, AUTHORITY_NAME)
        .await?
        .unwrap_or(fresh))
}

/// Loads (or makes) the CA and issues a server certificate for `hosts` (names or IPs).
pub async fn prepare(
    database: &Database,
    hosts: &[String],
    now: i64,
) -> Result<KubeApiTls, TlsError> {
    let stored = authority(database, now).await?;
    let authority_key = KeyPair::from_pem(&stored.key_pem)?;
    let authority_cert = authority_params()?.self_signed(&authority_key)?;

    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "kube-apiserver");
    params.distinguished_name = name;
    params.subject_alt_names = hosts
        .iter()
        .map(|host| match host.parse::<IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => host.clone().try_into().map(SanType::DnsName),
        })
        .collect::<Result<_, rcgen::Error>>()?;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = rcgen::date_time_ymd(2045, 1, 1);
    let server_key = KeyPair::generate()?;
    let server_cert = params.signed_by(&server_key, &authority_cert, &authority_key)?;

    let chain: Vec<CertificateDer<'static>> = vec![server_cert.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(KubeApiTls {
        ca_pem: stored.cert_pem,
        server_config: Arc::new(config),
    })
}

/// Accepts TLS connections and serves `router` on them until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    router: Router,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(config);
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "the Kubernetes API listener failed to accept");
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            // A client that does not trust the CA gives up during the handshake: not an error.
            let Ok(tls) = acceptor.accept(stream).await else {
                return;
            };
            let _ = Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(tls), service)
                .await;
        });
    }
}
