//! The connection to gxd: TLS (`https://`, `--ca`, `--cert`/`--key`) and the bearer token on
//! every call.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Request, Status};

use crate::config::Resolved;
use crate::{Exit, Failure};

/// A channel that sends the token with every call.
pub type AuthChannel = InterceptedService<Channel, Bearer>;

/// Adds `authorization: Bearer <token>` to every call (nothing without a token).
#[derive(Clone)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.write_str(if self.0.is_some() {
            "Bearer(…)"
        } else {
            "Bearer(none)"
        })
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(v) = &self.0 {
            request.metadata_mut().insert("authorization", v.clone());
        }
        Ok(request)
    }
}

fn host_of(server: &str) -> &str {
    let rest = server.split_once("://").map_or(server, |(_, h)| h);
    let authority = rest.split('/').next().unwrap_or(rest);
    // [::1]:50051 → ::1; 127.0.0.1:50051 → 127.0.0.1; localhost:50051 → localhost
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6);
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

/// Whether `server` is on this machine.
pub fn is_loopback(server: &str) -> bool {
    let host = host_of(server);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Where gxd on this machine keeps its first admin token: `$GX_DATA/admin.token`, else
/// `<user data dir>/gx/admin.token` (gxd's own defaults).
pub fn local_admin_token_file() -> Option<PathBuf> {
    let data = match std::env::var_os("GX_DATA") {
        Some(d) => PathBuf::from(d),
        None => dirs::data_dir()?.join("gx"),
    };
    Some(data.join(gx::auth::ADMIN_TOKEN_FILE))
}

/// The admin token of the gxd on this machine, when `server` is on this machine and the
/// file is readable. Never for another machine: the token is not sent away.
pub fn local_admin_token(server: &str) -> Option<String> {
    if !is_loopback(server) {
        return None;
    }
    let text = std::fs::read_to_string(local_admin_token_file()?).ok()?;
    let token = text.trim();
    (!token.is_empty()).then(|| token.to_string())
}

fn read(path: &str, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        Failure::new(Exit::Usage, format!("cannot read the {what} {path}: {e}")).into()
    })
}

/// The endpoint for `r.server`, with TLS for `https://`.
pub fn endpoint(r: &Resolved) -> Result<Endpoint> {
    let server = &r.server;
    let mut endpoint = Channel::from_shared(server.clone())
        .map_err(|_| Failure::new(Exit::Usage, format!("not a server address: {server:?}")))?
        .connect_timeout(Duration::from_secs(5));
    let https = server.starts_with("https://");
    if !https && (r.ca.is_some() || r.cert.is_some()) {
        return Err(Failure::new(
            Exit::Usage,
            format!(
                "a CA or client certificate is configured (--ca/--cert, GX_CA/GX_CERT or the context) \
                 but the server address {server} is plaintext: use https://"
            ),
        )
        .into());
    }
    if https {
        let mut tls = ClientTlsConfig::new();
        tls = match &r.ca {
            Some(ca) => tls.ca_certificate(Certificate::from_pem(read(ca, "CA certificate")?)),
            None => tls.with_native_roots(),
        };
        if let (Some(cert), Some(key)) = (&r.cert, &r.key) {
            tls = tls.identity(Identity::from_pem(
                read(cert, "client certificate")?,
                read(key, "client key")?,
            ));
        }
        endpoint = endpoint
            .tls_config(tls)
            .map_err(|e| Failure::new(Exit::Usage, format!("TLS: {e}")))?;
    }
    Ok(endpoint)
}

/// The token as a metadata value.
pub fn bearer(r: &Resolved) -> Result<Bearer> {
    match &r.token {
        None => Ok(Bearer(None)),
        Some(t) => {
            let v = MetadataValue::try_from(format!("Bearer {}", t.trim())).map_err(|_| {
                Failure::new(
                    Exit::Usage,
                    "the token is not a valid metadata value (it should look like gx_<id>_<secret>)",
                )
            })?;
            Ok(Bearer(Some(v)))
        }
    }
}

/// A hint for a failed connection or call, by what the address says.
pub fn hint(server: &str, why: &str) -> &'static str {
    let why = why.to_lowercase();
    if why.contains("refused") || why.contains("timed out") {
        " — is gxd running?"
    } else if server.starts_with("https://") {
        " — does gxd serve TLS, and is --ca the CA that signed its certificate?"
    } else {
        " — is gxd running? If it serves TLS, use an https:// address and --ca"
    }
}

/// The innermost cause of an error, which says what happened.
pub fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_servers_get_the_local_admin_token() {
        for (server, local) in [
            ("http://127.0.0.1:50051", true),
            ("http://127.8.9.1:50051", true),
            ("https://localhost:50051", true),
            ("http://[::1]:50051", true),
            ("http://10.0.0.5:50051", false),
            ("https://gx.county.example:50051", false),
            ("http://[2001:db8::1]:50051", false),
            ("http://127.0.0.1.example:1", false),
        ] {
            assert_eq!(is_loopback(server), local, "{server}");
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("admin.token"), "gx_x\n").unwrap();
        std::env::set_var("GX_DATA", dir.path());
        assert_eq!(
            local_admin_token("http://127.0.0.1:1").as_deref(),
            Some("gx_x")
        );
        assert_eq!(local_admin_token("http://192.0.2.1:50051"), None);
        std::env::remove_var("GX_DATA");
    }
}
