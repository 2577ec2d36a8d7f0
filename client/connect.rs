//! The connection to gxd: TLS (`https://`, `--ca`, `--cert`/`--key`) and the bearer token on
//! every call.

use std::time::Duration;

use anyhow::Result;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Request, Status};

use crate::config::Resolved;
use crate::exit::{Exit, Failure};

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
