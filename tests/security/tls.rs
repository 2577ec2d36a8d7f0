//! TLS and mutual TLS with a CA made here (rcgen); plaintext clients against TLS fail
//! clearly; plaintext only on loopback unless --insecure-listen.

use std::path::{Path, PathBuf};

use gx::pb;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::server::{data_dir, sample_pb, start_with, submit_request, Gxd, Token};
use crate::support::gxctl_with_token;

/// PEM files of a test PKI: a CA, gxd's certificate (localhost, 127.0.0.1) and a client's.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "gx test county CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let leaf = |names: Vec<String>, cn: &str| {
            let key = KeyPair::generate().unwrap();
            let mut p = CertificateParams::new(names).unwrap();
            p.distinguished_name.push(DnType::CommonName, cn);
            let cert = p.signed_by(&key, &ca).unwrap();
            (cert.pem(), key.serialize_pem())
        };
        let (server_cert, server_key) = leaf(vec!["localhost".into(), "127.0.0.1".into()], "gxd");
        let (client_cert, client_key) = leaf(vec!["township.example".into()], "固城镇");
        for (name, text) in [
            ("ca.pem", ca.pem()),
            ("server.pem", server_cert),
            ("server.key", server_key),
            ("client.pem", client_cert),
            ("client.key", client_key),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn pem(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    fn s(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

fn https(gxd: &Gxd) -> String {
    format!("https://localhost:{}", gxd.addr.port())
}

async fn tls_channel(
    gxd: &Gxd,
    pki: &Pki,
    client_cert: bool,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pki.pem("ca.pem")));
    if client_cert {
        tls = tls.identity(Identity::from_pem(
            pki.pem("client.pem"),
            pki.pem("client.key"),
        ));
    }
    Channel::from_shared(https(gxd))
        .unwrap()
        .tls_config(tls)?
        .connect()
        .await
}

async fn health(channel: Channel) -> Result<(), tonic::Status> {
    HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .map(drop)
}

fn start_tls(data: &Path, pki: &Pki, mtls: bool) -> Gxd {
    let (cert, key, ca) = (pki.s("server.pem"), pki.s("server.key"), pki.s("ca.pem"));
    let mut args = vec!["--tls-cert", &cert, "--tls-key", &key];
    if mtls {
        args.extend(["--tls-client-ca", &ca]);
    }
    start_with(data, &args)
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_serves_tls_only() {
    let pki = Pki::new();
    let dir = data_dir();
    let gxd = start_tls(dir.path(), &pki, false);
    let channel = tls_channel(&gxd, &pki, false).await.expect("TLS connects");
    health(channel.clone()).await.expect("health over TLS");
    let admin = Token(gxd.admin_token.clone());
    pb::org_service_client::OrgServiceClient::with_interceptor(channel.clone(), admin.clone())
        .import_orgs(super::bodies_request(&[]))
        .await
        .expect("bodies registered over TLS");
    let mut c = pb::report_service_client::ReportServiceClient::with_interceptor(channel, admin);
    c.submit_report(submit_request(sample_pb(), ""))
        .await
        .expect("submit over TLS");

    // A plaintext client gets no answer, and fails rather than hangs.
    let plain = Channel::from_shared(gxd.url()).unwrap().connect().await;
    let failed = match plain {
        Err(_) => true,
        Ok(ch) => tokio::time::timeout(std::time::Duration::from_secs(10), health(ch))
            .await
            .expect("fails promptly")
            .is_err(),
    };
    assert!(failed, "plaintext against TLS must fail");

    // gxctl: https:// with --ca works; http:// fails with exit 4 and says to use https.
    let cfg = tempfile::tempdir().unwrap();
    let token = gxd.admin_token.clone().unwrap();
    let list = |server: &str| {
        let mut cmd = gxctl_with_token(cfg.path(), &token);
        cmd.args(["list", "--server", server]);
        cmd
    };
    list(&https(&gxd))
        .args(["-o", "json", "--ca", &pki.s("ca.pem")])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("621024101"));
    list(&gxd.url())
        .assert()
        .code(4)
        .stderr(predicates::str::contains(
            "If it serves TLS, use an https:// address and --ca",
        ));
    // Without the CA, the certificate is not trusted.
    list(&https(&gxd))
        .assert()
        .code(4)
        .stderr(predicates::str::contains(
            "is --ca the CA that signed its certificate?",
        ));
}

#[tokio::test(flavor = "multi_thread")]
async fn mtls_requires_a_client_certificate_and_still_a_token() {
    let pki = Pki::new();
    let dir = data_dir();
    let gxd = start_tls(dir.path(), &pki, true);
    let without = match tls_channel(&gxd, &pki, false).await {
        Err(_) => true,
        Ok(ch) => health(ch).await.is_err(),
    };
    assert!(without, "no client certificate: refused");
    let channel = tls_channel(&gxd, &pki, true).await.expect("mTLS connects");
    health(channel.clone()).await.expect("health over mTLS");
    // The certificate does not replace the token.
    let s = pb::report_service_client::ReportServiceClient::new(channel.clone())
        .list_reports(pb::ListReportsRequest::default())
        .await
        .expect_err("no token");
    assert_eq!(s.code(), tonic::Code::Unauthenticated);
    pb::report_service_client::ReportServiceClient::with_interceptor(
        channel,
        Token(gxd.admin_token.clone()),
    )
    .list_reports(pb::ListReportsRequest::default())
    .await
    .expect("certificate and token");

    // gxctl with --cert/--key.
    let cfg = tempfile::tempdir().unwrap();
    gxctl_with_token(cfg.path(), &gxd.admin_token.clone().unwrap())
        .args(["list", "--server", &https(&gxd), "--ca", &pki.s("ca.pem")])
        .args([
            "--cert",
            &pki.s("client.pem"),
            "--key",
            &pki.s("client.key"),
        ])
        .assert()
        .code(0);
}

#[test]
fn plaintext_only_on_loopback() {
    let dir = data_dir();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gxd"))
        .args(["--listen", "0.0.0.0:0", "--data"])
        .arg(dir.path())
        .output()
        .expect("gxd runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("refusing to serve plaintext on 0.0.0.0:0"),
        "{err}"
    );
    assert!(
        err.contains("--tls-cert") && err.contains("--insecure-listen"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn insecure_listen_warns() {
    use std::io::{BufRead, BufReader};
    let dir = data_dir();
    let log = dir.path().with_extension("insecure.log");
    // Bound on every interface for a moment; nothing is sent to it.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gxd"))
        .args(["--listen", "0.0.0.0:0", "--insecure-listen", "--data"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("gxd starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("0.0.0.0:"), "{first}");
    // The warning is logged before the address is printed.
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&log);
    assert!(
        text.contains("serving plaintext on a non-loopback address"),
        "{text}"
    );
}
